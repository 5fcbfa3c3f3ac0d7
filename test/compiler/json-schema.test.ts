import { describe, expect, it } from "vitest";
import * as z from "zod";
import { IncidentDocument } from "../../functions/incident/document.js";
import { incompatibility, jsonTypeOf, resolveSchemaPath, typesOf, withSchemaAt, type JsonSchema } from "../../workflows/compiler/json-schema.js";

const toSchema = (type: z.ZodType): JsonSchema => z.toJSONSchema(type, { io: "output", unrepresentable: "any" }) as JsonSchema;

const schema = toSchema(
  z.object({
    name: z.string(),
    nickname: z.string().optional(),
    instance: z.object({ id: z.string().regex(/^i-[0-9a-f]{8,17}$/), volumeIds: z.array(z.string().regex(/^vol-[0-9a-f]+$/)) }),
    owner: z.object({ email: z.string() }).nullable(),
    tags: z.record(z.string(), z.string()),
    counts: z.record(z.string(), z.object({ total: z.number().int() })),
    pair: z.tuple([z.string(), z.number()]),
    anything: z.unknown(),
  }),
);

function ok(segments: (string | number)[]) {
  const resolution = resolveSchemaPath(schema, segments);
  if (!resolution.ok) throw new Error(`expected ${segments.join(".")} to resolve; failed at ${resolution.failedAt}, available ${resolution.available.join(", ")}`);
  return resolution;
}

describe("resolveSchemaPath", () => {
  it("walks properties and reports required ones as not optional", () => {
    expect(ok(["name"])).toEqual({ ok: true, schema: { type: "string" }, optional: false });
    const id = ok(["instance", "id"]);
    expect(id.schema).toMatchObject({ type: "string", pattern: "^i-[0-9a-f]{8,17}$" });
    expect(id.optional).toBe(false);
  });

  it("marks a path through an optional property as optional", () => {
    expect(ok(["nickname"])).toMatchObject({ schema: { type: "string" }, optional: true });
  });

  it("walks into arrays by index, optional since the list may be shorter", () => {
    const volume = ok(["instance", "volumeIds", 0]);
    expect(volume.schema).toMatchObject({ type: "string", pattern: "^vol-[0-9a-f]+$" });
    expect(volume.optional).toBe(true);
    expect(ok(["instance", "volumeIds"]).schema).toMatchObject({ type: "array" });
    expect(ok(["pair", 1]).schema).toMatchObject({ type: "number" });
  });

  it("walks through anyOf / nullable alternatives", () => {
    expect(ok(["owner", "email"]).schema).toEqual({ type: "string" });
    const anyOf: JsonSchema = { anyOf: [{ type: "object", properties: { a: { type: "string" } } }, { type: "object", properties: { a: { type: "number" } } }, { type: "null" }] };
    const both = resolveSchemaPath(anyOf, ["a"]);
    expect(both).toMatchObject({ ok: true, schema: { anyOf: [{ type: "string" }, { type: "number" }] } });
    expect(typesOf((both as { schema: JsonSchema }).schema)).toEqual(new Set(["string", "number"]));
  });

  it("walks any key of a record (additionalProperties) as optional", () => {
    expect(ok(["tags", "Owner"])).toEqual({ ok: true, schema: { type: "string" }, optional: true });
    expect(ok(["counts", "eu-west-1", "total"]).schema).toMatchObject({ type: "integer" });
  });

  it("lets anything below an unknown value resolve", () => {
    expect(ok(["anything", "deep", 3, "er"])).toMatchObject({ ok: true, optional: true });
  });

  it("fails at the first segment that names nothing, listing the names available there", () => {
    expect(resolveSchemaPath(schema, ["instance", "instanceId"])).toEqual({ ok: false, failedAt: 1, available: ["id", "volumeIds"] });
    expect(resolveSchemaPath(schema, ["nope"])).toMatchObject({ ok: false, failedAt: 0 });
    const top = resolveSchemaPath(schema, ["nope"]) as { available: readonly string[] };
    expect(top.available).toEqual(["anything", "counts", "instance", "name", "nickname", "owner", "pair", "tags"]);
  });

  it("fails on a field of a string, an index of an object and a field of a list", () => {
    expect(resolveSchemaPath(schema, ["name", "length"])).toMatchObject({ ok: false, failedAt: 1, available: [] });
    expect(resolveSchemaPath(schema, ["instance", 0])).toMatchObject({ ok: false, failedAt: 1 });
    expect(resolveSchemaPath(schema, ["instance", "volumeIds", "first"])).toMatchObject({ ok: false, failedAt: 2 });
  });

  it("resolves the incident document's own fields and refuses misspellings", () => {
    const document = toSchema(IncidentDocument);
    expect(resolveSchemaPath(document, ["resource", "instanceId"])).toMatchObject({ ok: true, optional: true });
    expect(resolveSchemaPath(document, ["incidentId"])).toMatchObject({ ok: true, optional: false });
    const miss = resolveSchemaPath(document, ["resource", "instanceID"]);
    expect(miss).toMatchObject({ ok: false, failedAt: 1 });
    expect((miss as { available: readonly string[] }).available).toContain("instanceId");
  });
});

describe("incompatibility", () => {
  it("refuses a number where a string is expected, and the other way round", () => {
    expect(incompatibility({ type: "string" }, { type: "number" })).toBe("expects a string, but the path holds a number");
    expect(incompatibility({ type: "number" }, { type: "string" })).toBe("expects a number, but the path holds a string");
    expect(incompatibility({ type: "array" }, { type: "object" })).toMatch(/expects an array, but the path holds an object/);
  });

  it("refuses strings with different patterns, using their descriptions when they have them", () => {
    const instance = { type: "string", pattern: "^i-[0-9a-f]+$", description: "an instance id" };
    const vpc = { type: "string", pattern: "^vpc-[0-9a-f]+$", description: "a VPC id" };
    expect(incompatibility(instance, vpc)).toBe("expects an instance id, but the path holds a VPC id");
    expect(incompatibility({ type: "string", pattern: "^a$" }, { type: "string", pattern: "^b$" })).toBe("expects a string matching ^a$, but the path holds a string matching ^b$");
  });

  it("accepts the same pattern, and a pattern on one side only", () => {
    expect(incompatibility({ type: "string", pattern: "^i-" }, { type: "string", pattern: "^i-" })).toBeUndefined();
    expect(incompatibility({ type: "string", pattern: "^i-" }, { type: "string" })).toBeUndefined();
    expect(incompatibility({ type: "string" }, { type: "string", pattern: "^i-" })).toBeUndefined();
  });

  it("treats integer and number as compatible both ways", () => {
    expect(incompatibility({ type: "number" }, { type: "integer" })).toBeUndefined();
    expect(incompatibility({ type: "integer" }, { type: "number" })).toBeUndefined();
  });

  it("ignores null: a nullable or null value is left to the task's own validation", () => {
    expect(incompatibility({ type: "string" }, { type: ["string", "null"] })).toBeUndefined();
    expect(incompatibility({ type: "string" }, { anyOf: [{ type: "string" }, { type: "null" }] })).toBeUndefined();
    expect(incompatibility({ type: "string" }, { type: "null" })).toBeUndefined();
    // …but not a wrong type hiding next to null.
    expect(incompatibility({ type: "string" }, { type: ["number", "null"] })).toBe("expects a string, but the path holds a number");
  });

  it("accepts an unknown value and one that may be the right type", () => {
    expect(incompatibility({ type: "string" }, {})).toBeUndefined();
    expect(incompatibility({ type: "string" }, { anyOf: [{ type: "string" }, { type: "number" }] })).toBeUndefined();
  });

  it("compares list items", () => {
    expect(incompatibility({ type: "array", items: { type: "string" } }, { type: "array", items: { type: "number" } })).toBe("expects a string, but the path holds a number");
    expect(incompatibility({ type: "array", items: { type: "string" } }, { type: "array", items: { type: "string" } })).toBeUndefined();
  });

  it("works on the schemas zod writes for enums and literals", () => {
    expect(incompatibility(toSchema(z.enum(["low", "high"])), { type: "string" })).toBeUndefined();
    expect(incompatibility(toSchema(z.enum(["low", "high"])), { type: "boolean" })).toBe("expects a string, but the path holds a boolean");
    expect(incompatibility(toSchema(z.boolean()), toSchema(z.literal(true)))).toBeUndefined();
  });
});

describe("typesOf, jsonTypeOf and withSchemaAt", () => {
  it("derive JSON types from schemas and values", () => {
    expect(typesOf({ type: "integer" })).toEqual(new Set(["integer", "number"]));
    expect(typesOf({ enum: ["a", 1] })).toEqual(new Set(["string", "integer", "number"]));
    expect(typesOf({ const: true })).toEqual(new Set(["boolean"]));
    expect(typesOf({}).size).toBe(7);
    expect([null, [], 1, 1.5, "x", true, {}].map(jsonTypeOf)).toEqual(["null", "array", "integer", "number", "string", "boolean", "object"]);
  });

  it("adds a saved value to the document, required unless the step is conditional", () => {
    const base: JsonSchema = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
    const saved = withSchemaAt(base, ["result", "inner"], { type: "number" }, false);
    expect(resolveSchemaPath(saved, ["result", "inner"])).toEqual({ ok: true, schema: { type: "number" }, optional: false });
    expect(resolveSchemaPath(saved, ["a"])).toMatchObject({ ok: true });
    const conditional = withSchemaAt(base, ["maybe"], { type: "number" }, true);
    expect(resolveSchemaPath(conditional, ["maybe"])).toMatchObject({ ok: true, optional: true });
    // The original is left as it was.
    expect(base.properties).toEqual({ a: { type: "string" } });
  });
});
