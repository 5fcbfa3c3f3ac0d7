import { runInThisContext } from "node:vm";

/**
 * asl-validator builds a new Ajv on every call, registers the same schemas, formats and keywords,
 * and compiles its schemas again: about 100 ms a call, a third of validating 50 runbooks. This
 * wraps the Ajv class it constructs so that a call with the same constructor options (the same
 * schema objects, the same flags) gets the instance the first call set up, with its schemas
 * already compiled. Every definition is still checked against those schemas in full.
 *
 * Once that instance has validated something, asl-validator's repeated setup is answered as
 * follows: a format or keyword it already has, registered again with the same function or
 * definition (or, for a format, a function with the same source: asl-validator makes its closures
 * afresh each call), is kept as it was; anything else would make the compiled schemas disagree
 * with the call's own setup, so it is refused with an error rather than silently ignored.
 *
 * It is source text because the validator threads run it without a TypeScript loader.
 */
export const SCHEMA_REUSE_SOURCE = String.raw`(function reuseCompiledSchemas(Ajv) {
  "use strict";
  let shared;
  let sharedOptions;
  let isSealed = () => false;

  // asl-validator's options: its schema objects (the same modules every call) and a flag.
  function shareable(options) {
    return options !== null && typeof options === "object" && Array.isArray(options.schemas);
  }

  function sameOptions(a, b) {
    if (!shareable(a) || Object.keys(a).length !== Object.keys(b).length) return false;
    for (const key of Object.keys(a)) {
      if (!Object.hasOwn(b, key)) return false;
      if (key === "schemas") {
        if (a.schemas.length !== b.schemas.length || a.schemas.some((schema, i) => schema !== b.schemas[i])) return false;
      } else if (a[key] !== b[key]) {
        return false;
      }
    }
    return true;
  }

  function sameFunction(a, b) {
    return a === b || (typeof a === "function" && typeof b === "function" && String(a) === String(b));
  }

  // After its first validation the instance only accepts setup it already has.
  function guard(ajv) {
    let sealed = false;
    isSealed = () => sealed;
    const keywordDefinitions = new Set();
    const { addFormat, addKeyword, validate, compile, getSchema } = ajv;
    const seal = (method) => function () {
      sealed = true;
      return method.apply(ajv, arguments);
    };
    ajv.validate = seal(validate);
    ajv.compile = seal(compile);
    ajv.getSchema = seal(getSchema);
    ajv.addFormat = function (name, format) {
      if (!sealed) return addFormat.apply(ajv, arguments);
      if (Object.hasOwn(ajv.formats, name) && sameFunction(ajv.formats[name], format)) return ajv;
      throw new Error("cannot reuse compiled schemas: format " + name + " differs from the first call's");
    };
    ajv.addKeyword = function (definition) {
      if (!sealed) {
        if (definition !== null && typeof definition === "object") keywordDefinitions.add(definition);
        return addKeyword.apply(ajv, arguments);
      }
      if (arguments.length === 1 && keywordDefinitions.has(definition)) return ajv;
      throw new Error("cannot reuse compiled schemas: a keyword differs from the first call's");
    };
    return ajv;
  }

  function SharedAjv(options) {
    if (!new.target) return Reflect.apply(Ajv, this, arguments);
    if (arguments.length === 1 && isSealed() && sameOptions(options, sharedOptions)) return shared;
    const ajv = Reflect.construct(Ajv, arguments);
    // Only the first setup that reaches a validation is shared; one that failed half-way is dropped.
    if (arguments.length !== 1 || isSealed() || !shareable(options)) return ajv;
    sharedOptions = { ...options, schemas: [...options.schemas] };
    shared = guard(ajv);
    return shared;
  }
  SharedAjv.prototype = Ajv.prototype;
  return SharedAjv;
})`;

/** A class asl-validator constructs as `new Ajv(options)`. */
export type AjvClass = new (...args: never[]) => object;

/** The wrapper compiled in this thread, for tests. */
export function reuseCompiledSchemas<T extends AjvClass>(ajv: T): T {
  const wrap = runInThisContext(SCHEMA_REUSE_SOURCE, { filename: "compiled-schema-reuse.js" }) as (ajv: T) => T;
  return wrap(ajv);
}
