import { runInThisContext } from "node:vm";

/**
 * jsonpath-plus answers every query by constructing itself and, for a scalar answer, by throwing an
 * Error (with its stack) and catching it; it also copies the path array at every node it visits.
 * Two callers pay for that: asl-validator's recursive descents (`$..States`,
 * `$..[StartAt,Next,Default]`), a third of its time, and the local engine's reads of every
 * InputPath, Parameters `.$`, Choice Variable and `$$.` path (`$.a.b`, `$.a[0]`, `$`), a tenth of
 * an incident's CPU. This wraps jsonpath-plus's `JSONPath` so that exactly those shapes (descent to
 * plain names, or a chain of plain names, with no option but `wrap`) are answered by a direct walk
 * that returns the same values in the same order; anything else goes to jsonpath-plus unchanged.
 * "Plain" means a name jsonpath-plus itself only reads as an own property: an identifier or a
 * decimal index. The shapes are decided on jsonpath-plus's own parse of the path.
 *
 * It is source text because the validator threads run it without a TypeScript loader.
 */
export const JSON_PATH_SHORTCUT_SOURCE = String.raw`(function jsonPathShortcut(original) {
  "use strict";
  // Names jsonpath-plus only ever treats as plain property names: no operator begins with these,
  // and a bare index is not a slice (a slice needs a colon).
  const PLAIN = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)$/;
  // Marks a wrapper, so wrapping twice (a module evaluated again) adds no second layer.
  const WRAPPED = Symbol.for("irflow.jsonPathShortcut");
  if (original[WRAPPED] === true) return original;
  const ALLOWED_OPTIONS = new Set(["path", "json", "wrap"]);
  const plans = new Map();

  // { descend, names } for the shapes it answers, null for the rest; the parse is jsonpath-plus's own.
  function planOf(path) {
    let plan = plans.get(path);
    if (plan !== undefined) return plan;
    plan = null;
    const parts = original.toPathArray(path);
    // "$" alone is the document itself.
    if (parts.length === 1 && parts[0] === "$" && path === "$") plan = { descend: false, names: [] };
    else if (parts.length > 1 && parts[0] === "$") {
      if (parts.length === 3 && parts[1] === "..") {
        const names = parts[2].split(",");
        if (names.every((name) => PLAIN.test(name))) plan = { descend: true, names };
      } else {
        const names = parts.slice(1);
        if (names.every((name) => PLAIN.test(name))) plan = { descend: false, names };
      }
    }
    if (plans.size < 1000) plans.set(path, plan);
    return plan;
  }

  // As jsonpath-plus's "..": the names at this node in query order, then each object child
  // (arrays by index, objects by key order), depth first.
  function descend(node, names, found) {
    for (let i = 0; i < names.length; i++) {
      if (Object.hasOwn(node, names[i])) found.push(node[names[i]]);
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child = node[i];
        if (child !== null && typeof child === "object") descend(child, names, found);
      }
    } else if (typeof node === "object") {
      const keys = Object.keys(node);
      for (let i = 0; i < keys.length; i++) {
        const child = node[keys[i]];
        if (child !== null && typeof child === "object") descend(child, names, found);
      }
    }
    return found;
  }

  function follow(node, names) {
    let value = node;
    for (let i = 0; i < names.length; i++) {
      if (!value || !Object.hasOwn(value, names[i])) return { found: false };
      value = value[names[i]];
    }
    return { found: true, value };
  }

  function answerable(options) {
    if (options === null || typeof options !== "object" || Array.isArray(options)) return undefined;
    for (const key of Object.keys(options)) if (!ALLOWED_OPTIONS.has(key)) return undefined;
    if (typeof options.path !== "string") return undefined;
    const wrap = Object.hasOwn(options, "wrap") ? options.wrap : true;
    if (wrap !== true && wrap !== false) return undefined;
    const plan = planOf(options.path);
    if (plan === null || (plan.descend && !wrap)) return undefined;
    return { plan, wrap };
  }

  function JSONPath(options) {
    const shortcut = new.target || arguments.length !== 1 ? undefined : answerable(options);
    if (shortcut === undefined) return new.target ? Reflect.construct(original, arguments, new.target) : original.apply(this, arguments);
    const json = options.json;
    // jsonpath-plus answers nothing at all (not an empty list) for a falsy document.
    if (!json) return undefined;
    const { plan, wrap } = shortcut;
    if (plan.descend) return descend(json, plan.names, []);
    const { found, value } = follow(json, plan.names);
    if (wrap) return found ? [value] : [];
    return found ? value : undefined;
  }
  for (const key of Object.keys(original)) JSONPath[key] = original[key];
  JSONPath.prototype = original.prototype;
  Object.defineProperty(JSONPath, WRAPPED, { value: true });
  return JSONPath;
})`;

/** jsonpath-plus's `JSONPath` function, as far as the shortcut is concerned. */
export type JsonPathFunction = (...args: unknown[]) => unknown;

/**
 * `original` wrapped by the shortcut, compiled in this thread: what the local engine evaluates
 * every path with (step-functions-library.ts); the tests compare it with jsonpath-plus itself.
 */
export function jsonPathShortcut(original: JsonPathFunction): JsonPathFunction {
  const wrap = runInThisContext(JSON_PATH_SHORTCUT_SOURCE, { filename: "json-path-shortcut.js" }) as (original: JsonPathFunction) => JsonPathFunction;
  return wrap(original);
}
