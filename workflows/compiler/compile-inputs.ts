import * as z from "zod";
import { closest, type DiagnosticBag } from "../diagnostics.js";
import type { LocatedYaml } from "../runbook/located-yaml.js";
import type { AslObject, AslValue } from "./asl.js";
import { incompatibility, jsonTypeOf, resolveSchemaPath, type JsonSchema } from "./json-schema.js";
import { formatReferencePath, parseReferencePath, type ParsedPath } from "./reference-path.js";

/** What a path may refer to while compiling one step. */
export interface PathScope {
  readonly document: JsonSchema;
  /** In a `foreach` step, the schema of one item (`$.item`). */
  readonly item?: JsonSchema;
  /**
   * Fields only a conditional step saves, with that step's title, which this step's own `when`
   * does not guarantee: reading them would fail at run time with States.Runtime, which no Catch
   * can route.
   */
  readonly maybeAbsent?: ReadonlyMap<string, string>;
}

/** Where a value sits in the step's YAML, for precise diagnostics. */
export interface ValueSite {
  readonly yaml: LocatedYaml;
  readonly path: readonly PropertyKey[];
  readonly bag: DiagnosticBag;
  readonly label: string;
}

const PATH_LIKE = /^\$\$?(?:\.|\[|$)/;
const TEMPLATE_FIELD = /\{(\$[^{}\s]*)\}/g;
const HAS_TEMPLATE_FIELD = new RegExp(TEMPLATE_FIELD.source); // no g flag: .test() must not keep state

export interface CompiledValue {
  readonly key: string;
  readonly value: AslValue;
  readonly schema: JsonSchema;
}

/** Resolves a reference path in scope; reports and returns undefined when it names nothing. */
export function resolvePath(text: string, scope: PathScope, site: ValueSite): { path: string; schema: JsonSchema; optional: boolean } | undefined {
  const parsed = parseReferencePath(text);
  const at = site.yaml.positionOf(site.path);
  if ("error" in parsed) {
    site.bag.error(at, "bad-path", `${site.label}: ${parsed.error}`, "paths look like $.resource.instanceId or $.instance.volumeIds[0]");
    return undefined;
  }
  if (parsed.root === "$$") {
    site.bag.error(at, "bad-path", `${site.label}: the context object ($$) is not available to runbooks`, "read the incident document through $.");
    return undefined;
  }
  const [first, ...rest] = parsed.segments;
  const inItem = first === "item" && site !== undefined;
  if (inItem && scope.item) return finish(parsed, rest, scope.item, at, site, true);
  if (inItem && !scope.item && !hasProperty(scope.document, "item")) {
    site.bag.error(at, "unresolved-path", `${site.label}: $.item is only defined in a step with foreach`, "add foreach: <path to a list> to this step");
    return undefined;
  }
  const resolved = finish(parsed, parsed.segments, scope.document, at, site, false);
  if (resolved) {
    for (const [root, savedBy] of scope.maybeAbsent ?? []) {
      if (resolved.path === root || resolved.path.startsWith(`${root}.`) || resolved.path.startsWith(`${root}[`)) {
        site.bag.error(at, "optional-path", `${site.label}: ${root} exists only when step "${savedBy}" ran (it has a when:), so this step would fail when it did not`, `add when: { path: ${root}, exists: true } to this step, or give it the same condition`);
        return undefined;
      }
    }
  }
  return resolved;
}

function finish(parsed: ParsedPath, segments: ParsedPath["segments"], schema: JsonSchema, at: { line: number; column: number }, site: ValueSite, item: boolean) {
  const resolution = resolveSchemaPath(schema, segments);
  if (!resolution.ok) {
    const missing = segments[resolution.failedAt];
    const known = formatReferencePath({ root: "$", segments: [...(item ? ["item"] : []), ...segments.slice(0, resolution.failedAt)] });
    const guess = typeof missing === "string" ? closest(missing, resolution.available) : undefined;
    site.bag.error(
      at,
      "unresolved-path",
      `${site.label}: ${formatReferencePath(parsed)} does not resolve: ${known} has no ${typeof missing === "number" ? `item [${missing}]` : `field "${String(missing)}"`}`,
      guess ? `did you mean "${guess}"?` : resolution.available.length > 0 ? `${known} has: ${resolution.available.join(", ")}` : "earlier steps can add fields with save:",
    );
    return undefined;
  }
  const path = item ? `$$.Map.Item.Value${formatReferencePath({ root: "$", segments }).slice(1)}` : formatReferencePath(parsed);
  return { path, schema: resolution.schema, optional: resolution.optional };
}

function hasProperty(schema: JsonSchema, name: string): boolean {
  return Boolean(schema.properties?.[name]);
}

/** Compiles one `with:` value into its ASL form: a literal, a `.$` path, or an intrinsic. */
export function compileValue(key: string, raw: unknown, scope: PathScope, site: ValueSite): CompiledValue | undefined {
  if (typeof raw === "string" && PATH_LIKE.test(raw)) {
    const resolved = resolvePath(raw, scope, site);
    return resolved && { key: `${key}.$`, value: resolved.path, schema: resolved.schema };
  }
  if (typeof raw === "string" && HAS_TEMPLATE_FIELD.test(raw)) {
    return compileTemplate(key, raw, scope, site);
  }
  if (Array.isArray(raw) && raw.some((item) => typeof item === "string" && PATH_LIKE.test(item))) {
    const args: string[] = [];
    for (const [index, item] of raw.entries()) {
      const itemSite = { ...site, path: [...site.path, index] };
      if (typeof item === "string" && PATH_LIKE.test(item)) {
        const resolved = resolvePath(item, scope, itemSite);
        if (!resolved) return undefined;
        args.push(resolved.path);
      } else if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") {
        args.push(intrinsicLiteral(item));
      } else {
        site.bag.error(site.yaml.positionOf(itemSite.path), "bad-input", `${site.label}: a list that mixes paths and values may hold only scalars`);
        return undefined;
      }
    }
    return { key: `${key}.$`, value: `States.Array(${args.join(", ")})`, schema: { type: "array" } };
  }
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const nested: AslObject = {};
    const properties: Record<string, JsonSchema> = {};
    for (const [childKey, childValue] of Object.entries(raw)) {
      if (childKey.endsWith(".$")) {
        // Step Functions would evaluate it as a path or intrinsic, around every check here.
        site.bag.error(site.yaml.positionOf([...site.path, childKey], true), "bad-input", `${site.label}: a key ending in ".$" is not allowed`, "write the path as the value: key: $.path");
        return undefined;
      }
      const child = compileValue(childKey, childValue, scope, { ...site, path: [...site.path, childKey], label: `${site.label}.${childKey}` });
      if (!child) return undefined;
      nested[child.key] = child.value;
      properties[childKey] = child.schema;
    }
    return { key, value: nested, schema: { type: "object", properties, required: Object.keys(properties) } };
  }
  if (JSON.stringify(raw ?? null).includes("${")) {
    // ${Task:…} and ${Machine:…} are placeholders the deployment fills; literals may not carry them.
    site.bag.error(site.yaml.positionOf(site.path), "bad-input", `${site.label}: "\${" is reserved for deployment placeholders`, "rephrase the text");
    return undefined;
  }
  return { key, value: raw as AslValue, schema: literalSchema(raw) };
}

function compileTemplate(key: string, raw: string, scope: PathScope, site: ValueSite): CompiledValue | undefined {
  if (raw.includes("\\")) {
    // Step Functions' intrinsic grammar has no portable escape for a backslash.
    site.bag.error(site.yaml.positionOf(site.path), "bad-template", `${site.label}: a text with {$.path} placeholders cannot contain a backslash`, "rephrase without \\ or pass the value as a plain path");
    return undefined;
  }
  const args: string[] = [];
  let format = "";
  let last = 0;
  for (const match of raw.matchAll(TEMPLATE_FIELD)) {
    const resolved = resolvePath(match[1]!, scope, site);
    if (!resolved) return undefined;
    format += escapeIntrinsic(raw.slice(last, match.index)) + "{}";
    args.push(resolved.path);
    last = match.index + match[0].length;
  }
  format += escapeIntrinsic(raw.slice(last));
  return { key: `${key}.$`, value: `States.Format('${format}', ${args.join(", ")})`, schema: { type: "string" } };
}

/** Intrinsic string literals escape ' { and } with a backslash (backslashes are refused earlier). */
function escapeIntrinsic(text: string): string {
  return text.replace(/['{}]/g, (c) => `\\${c}`);
}

function intrinsicLiteral(value: string | number | boolean): string {
  return typeof value === "string" ? `'${escapeIntrinsic(value)}'` : String(value);
}

function literalSchema(value: unknown): JsonSchema {
  const type = jsonTypeOf(value);
  return { type };
}

const inputSchemas = new WeakMap<z.ZodType, JsonSchema>();

/** A task's input as JSON Schema, converted once per contract (conversion is the costly part). */
export function inputSchemaOf(input: z.ZodType): JsonSchema {
  let schema = inputSchemas.get(input);
  if (!schema) {
    schema = z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as JsonSchema;
    inputSchemas.set(input, schema);
  }
  return schema;
}

/**
 * Checks a step's `with:` against the task's input schema: every required field present, no
 * unknown field, every literal valid, every path of a compatible type. Returns the compiled input.
 */
export function compileTaskInput(
  input: z.ZodObject<z.ZodRawShape>,
  given: Record<string, unknown>,
  scope: PathScope,
  site: Omit<ValueSite, "label"> & { taskName: string },
): AslObject | undefined {
  const schema = inputSchemaOf(input);
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const compiled: AslObject = {};
  let ok = true;
  for (const [key, raw] of Object.entries(given)) {
    const keySite = { ...site, path: [...site.path, key], label: `with.${key}` };
    const expected = properties[key];
    if (!expected) {
      const guess = closest(key, Object.keys(properties));
      site.bag.error(site.yaml.positionOf(keySite.path, true), "unknown-input", `${site.taskName} has no input "${key}"`, guess ? `did you mean "${guess}"? Inputs: ${Object.keys(properties).join(", ")}` : `inputs: ${Object.keys(properties).join(", ") || "(none)"}`);
      ok = false;
      continue;
    }
    const value = compileValue(key, raw, scope, keySite);
    if (!value) {
      ok = false;
      continue;
    }
    const fieldSchema = input.shape[key] as z.ZodType | undefined;
    if (!value.key.endsWith(".$") && !containsDynamic(value.value) && fieldSchema) {
      const literal = fieldSchema.safeParse(raw);
      if (!literal.success) {
        const issue = literal.error.issues[0];
        site.bag.error(site.yaml.positionOf(keySite.path), "invalid-input", `with.${key} for ${site.taskName}: ${issue?.message ?? "invalid value"}`);
        ok = false;
        continue;
      }
    } else {
      const problem = incompatibility(expected, value.schema);
      if (problem) {
        site.bag.error(site.yaml.positionOf(keySite.path), "input-type", `with.${key} for ${site.taskName} ${problem}`);
        ok = false;
        continue;
      }
    }
    compiled[value.key] = value.value;
  }
  for (const key of required) {
    if (!(key in given)) {
      site.bag.error(site.yaml.positionOf(site.path), "missing-input", `${site.taskName} needs input "${key}"`, `add it under with:, e.g. ${key}: $.resource.…`);
      ok = false;
    }
  }
  return ok ? compiled : undefined;
}

function containsDynamic(value: AslValue): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(containsDynamic);
  return Object.entries(value).some(([key, child]) => key.endsWith(".$") || containsDynamic(child));
}
