import { runInThisContext } from "node:vm";

/**
 * asl-validator finds states, transitions and payload templates with jsonpath-plus queries such as
 * `$..States`, `$..[StartAt,Next,Default]` and `$.ItemBatcher`. jsonpath-plus copies the path
 * array at every node it visits, and these recursive descents over a batch of a project's machines
 * were a third of asl-validator's time. This wraps jsonpath-plus's `JSONPath` so that exactly those
 * shapes (descent to plain names, or a chain of plain names, with no option but `wrap`) are
 * answered by a direct walk that returns the same values in the same order; anything else goes to
 * jsonpath-plus unchanged.
 *
 * It is source text because the validator threads run it without a TypeScript loader.
 */
export const JSON_PATH_SHORTCUT_SOURCE = String.raw`(function jsonPathShortcut(original) {
  "use strict";
  // Names jsonpath-plus only ever treats as plain property names (no operator begins with these).
  const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;
  const ALLOWED_OPTIONS = new Set(["path", "json", "wrap"]);
  const plans = new Map();

  // { descend, names } for the shapes it answers, null for the rest; the parse is jsonpath-plus's own.
  function planOf(path) {
    let plan = plans.get(path);
    if (plan !== undefined) return plan;
    plan = null;
    const parts = original.toPathArray(path);
    if (parts.length > 1 && parts[0] === "$") {
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
  return JSONPath;
})`;

/** jsonpath-plus's `JSONPath` function, as far as the shortcut is concerned. */
export type JsonPathFunction = (...args: unknown[]) => unknown;

/** The shortcut compiled in this thread, for tests that compare it with jsonpath-plus. */
export function jsonPathShortcut(original: JsonPathFunction): JsonPathFunction {
  const wrap = runInThisContext(JSON_PATH_SHORTCUT_SOURCE, { filename: "json-path-shortcut.js" }) as (original: JsonPathFunction) => JsonPathFunction;
  return wrap(original);
}
