import type { PathSegment } from "./reference-path.js";

/** The part of JSON Schema (as zod's toJSONSchema writes it) that path checking needs. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  description?: string;
  default?: unknown;
}

export type Resolution =
  | { readonly ok: true; readonly schema: JsonSchema; readonly optional: boolean }
  | { readonly ok: false; readonly failedAt: number; readonly available: readonly string[] };

/** A schema that admits any value: what a path into it resolves to. */
export const ANY: JsonSchema = {};

/** Finds the schema of the value a path names, or where the path stops making sense. */
export function resolveSchemaPath(schema: JsonSchema, segments: readonly PathSegment[]): Resolution {
  let current: JsonSchema[] = [schema];
  let optional = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const next: JsonSchema[] = [];
    const available = new Set<string>();
    for (const candidate of current.flatMap(branches)) {
      const step = stepInto(candidate, segment);
      if (step) {
        next.push(step.schema);
        optional ||= step.optional;
      }
      for (const name of Object.keys(candidate.properties ?? {})) available.add(name);
    }
    if (next.length === 0) return { ok: false, failedAt: i, available: [...available].sort() };
    current = next;
  }
  return { ok: true, schema: current.length === 1 ? current[0]! : { anyOf: current }, optional };
}

function stepInto(schema: JsonSchema, segment: PathSegment): { schema: JsonSchema; optional: boolean } | undefined {
  if (isAny(schema)) return { schema: ANY, optional: true };
  if (typeof segment === "number") {
    if (!typesOf(schema).has("array")) return undefined;
    return { schema: schema.prefixItems?.[segment] ?? schema.items ?? ANY, optional: true };
  }
  if (!typesOf(schema).has("object")) return undefined;
  const property = schema.properties?.[segment];
  if (property) return { schema: property, optional: !(schema.required ?? []).includes(segment) };
  if (schema.additionalProperties && schema.additionalProperties !== true) return { schema: schema.additionalProperties, optional: true };
  if (schema.additionalProperties === true) return { schema: ANY, optional: true };
  return undefined;
}

/** anyOf/oneOf/allOf flattened into the alternatives a value may take. */
function branches(schema: JsonSchema): JsonSchema[] {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.flatMap(branches);
  if (schema.allOf && schema.allOf.length > 0) return [Object.assign({}, ...schema.allOf.flatMap(branches)) as JsonSchema];
  return [schema];
}

function isAny(schema: JsonSchema): boolean {
  return schema.type === undefined && !schema.properties && !schema.items && !schema.anyOf && !schema.oneOf && !schema.allOf && schema.enum === undefined && schema.const === undefined;
}

export type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "null";

/** The JSON types a schema admits; an empty set means "anything". */
export function typesOf(schema: JsonSchema): Set<JsonType> {
  const types = new Set<JsonType>();
  for (const branch of branches(schema)) {
    if (branch.type) for (const t of [branch.type].flat()) types.add(t as JsonType);
    else if (branch.const !== undefined) types.add(jsonTypeOf(branch.const));
    else if (branch.enum) for (const value of branch.enum) types.add(jsonTypeOf(value));
    else if (branch.properties) types.add("object");
    else if (branch.items) types.add("array");
    else return new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);
  }
  if (types.has("integer")) types.add("number");
  return types;
}

export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as JsonType;
}

/** Why a value described by `actual` cannot fill a slot described by `expected`, or undefined. */
export function incompatibility(expected: JsonSchema, actual: JsonSchema): string | undefined {
  const want = typesOf(expected);
  const have = typesOf(actual);
  have.delete("null"); // optional outputs arrive as null; the task's own validation catches those
  if (have.size === 0) return undefined;
  const overlap = [...have].some((t) => want.has(t) || (t === "integer" && want.has("number")) || (t === "number" && want.has("integer")));
  if (!overlap) return `expects ${describeTypes(want)}, but the path holds ${describeTypes(have)}`;
  const wantPattern = singlePattern(expected);
  const havePattern = singlePattern(actual);
  if (wantPattern && havePattern && wantPattern !== havePattern) {
    return `expects ${expected.description ?? `a string matching ${wantPattern}`}, but the path holds ${actual.description ?? `a string matching ${havePattern}`}`;
  }
  if (want.has("array") && have.has("array") && expected.items && actual.items) return incompatibility(expected.items, actual.items);
  return undefined;
}

function singlePattern(schema: JsonSchema): string | undefined {
  const all = branches(schema);
  return all.length === 1 ? all[0]!.pattern : undefined;
}

function describeTypes(types: Set<JsonType>): string {
  const names = [...types].filter((t) => !(t === "integer" && types.has("number")));
  return names.length === 1 ? `a${/^[aeiou]/.test(names[0]!) ? "n" : ""} ${names[0]!}` : `one of ${names.join(", ")}`;
}

/** Adds (or replaces) the schema at `segments` below `root`, creating objects on the way. */
export function withSchemaAt(root: JsonSchema, segments: readonly string[], value: JsonSchema, optional: boolean): JsonSchema {
  if (segments.length === 0) return value;
  const [head, ...rest] = segments as [string, ...string[]];
  const properties = { ...(root.properties ?? {}) };
  properties[head] = withSchemaAt(properties[head] ?? { type: "object", properties: {} }, rest, value, optional);
  const required = new Set(root.required ?? []);
  if (optional) required.delete(head);
  else required.add(head);
  return { ...root, type: "object", properties, required: [...required] };
}
