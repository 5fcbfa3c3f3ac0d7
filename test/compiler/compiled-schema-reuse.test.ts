import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { reuseCompiledSchemas } from "../../workflows/compiler/compiled-schema-reuse.js";
import { jsonPathShortcut, type JsonPathFunction } from "../../workflows/json-path-shortcut.js";
import { ASL_VALIDATOR_MODULE, ASL_VALIDATOR_OPTIONS } from "../../workflows/compiler/validate-asl.js";

const require = createRequire(ASL_VALIDATOR_MODULE);
type AjvInstance = { validate(schema: unknown, data: unknown): boolean; addFormat(name: string, format: unknown): AjvInstance; addKeyword(definition: unknown): AjvInstance; errors?: unknown };
type AjvConstructor = new (options?: object) => AjvInstance;
const ajvModule = require("ajv") as { default: AjvConstructor };
const jsonPathModule = require("jsonpath-plus") as { JSONPath: JsonPathFunction };
const validate = require(ASL_VALIDATOR_MODULE) as (definition: unknown, options: object) => { isValid: boolean; errors: unknown[] };
const Ajv = ajvModule.default;
const JSONPath = jsonPathModule.JSONPath;

afterEach(() => {
  ajvModule.default = Ajv;
  jsonPathModule.JSONPath = JSONPath;
});

const SCHEMA = { $id: "test://thing", type: "object", properties: { name: { type: "string", format: "shouty" } }, required: ["name"] };
const shouty = (value: string) => value === value.toUpperCase();

/** Sets an instance up as asl-validator does on each call: options, a format, then a validation. */
function setUp(Shared: AjvConstructor, format: (value: string) => boolean = (value) => value === value.toUpperCase()): AjvInstance {
  const ajv = new Shared({ schemas: [SCHEMA], allowUnionTypes: true });
  ajv.addFormat("shouty", format);
  return ajv;
}

describe("reusing asl-validator's compiled schemas", () => {
  it("gives a second call with the same options the instance the first call set up and used", () => {
    let constructed = 0;
    const Counting = class extends Ajv {
      constructor(options?: object) {
        super(options);
        constructed++;
      }
    };
    const Shared = reuseCompiledSchemas(Counting);
    const first = setUp(Shared);
    expect(first.validate("test://thing", { name: "LOUD" })).toBe(true);
    const second = setUp(Shared);
    expect(second).toBe(first);
    expect(constructed).toBe(1);
    expect(second.validate("test://thing", { name: "quiet" })).toBe(false);
    expect(second.errors).toEqual([expect.objectContaining({ instancePath: "/name", keyword: "format" })]);
    expect(second.validate("test://thing", { name: "LOUD" })).toBe(true);
    expect(second.errors).toBeNull();
    expect(first).toBeInstanceOf(Ajv);
  });

  it("builds a new instance for other options, or when the first setup never reached a validation", () => {
    const Shared = reuseCompiledSchemas(Ajv);
    const unused = setUp(Shared);
    const first = setUp(Shared);
    expect(first).not.toBe(unused);
    first.validate("test://thing", { name: "A" });
    expect(new Shared({ schemas: [SCHEMA], allowUnionTypes: false })).not.toBe(first);
    expect(new Shared({ schemas: [{ ...SCHEMA }], allowUnionTypes: true })).not.toBe(first);
    expect(new Shared({ schemas: [SCHEMA], allowUnionTypes: true, strict: false })).not.toBe(first);
    expect(new Shared()).not.toBe(first);
    expect(setUp(Shared)).toBe(first);
  });

  it("refuses setup that differs from what the compiled schemas were built with", () => {
    const Shared = reuseCompiledSchemas(Ajv);
    setUp(Shared, shouty).validate("test://thing", { name: "A" });
    // The same function, or a fresh closure with the same source, is what asl-validator passes again.
    expect(() => setUp(Shared, shouty)).not.toThrow();
    const ajv = setUp(Shared);
    expect(() => ajv.addFormat("shouty", (value: string) => value.length > 0)).toThrow(/format shouty differs/);
    expect(() => ajv.addFormat("new-format", shouty)).toThrow(/format new-format differs/);
    expect(() => ajv.addKeyword({ keyword: "extra", type: "string" })).toThrow(/a keyword differs/);
  });

  it("is not callable without new, as the class it wraps", () => {
    const Shared = reuseCompiledSchemas(Ajv) as unknown as (options: object) => unknown;
    expect(() => Shared({})).toThrow(TypeError);
  });
});

/** Definitions that break each of asl-validator's checks. */
const BROKEN: Record<string, unknown> = {
  "missing target": { StartAt: "A", States: { A: { Type: "Pass", Next: "Nowhere" } } },
  unreachable: { StartAt: "A", States: { A: { Type: "Pass", End: true }, B: { Type: "Succeed" } } },
  "bad path": { StartAt: "A", States: { A: { Type: "Pass", ResultPath: "$.a[", End: true } } },
  "bad reference path": { StartAt: "A", States: { A: { Type: "Choice", Choices: [{ Variable: "$..a", IsPresent: true, Next: "B" }], Default: "B" }, B: { Type: "Succeed" } } },
  "bad intrinsic": { StartAt: "A", States: { A: { Type: "Pass", Parameters: { "x.$": "States.Nope($.a)" }, End: true } } },
  "bad arn": { StartAt: "A", States: { A: { Type: "Task", Resource: "not-an-arn", End: true } } },
  "unknown type": { StartAt: "A", States: { A: { Type: "Teleport", End: true } } },
  "duplicate field": { StartAt: "A", States: { A: { Type: "Pass", Parameters: { a: 1, "a.$": "$.a" }, End: true } } },
  "two timeouts": { StartAt: "A", States: { A: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", TimeoutSeconds: 5, TimeoutSecondsPath: "$.t", End: true } } },
  "fail cause twice": { StartAt: "A", States: { A: { Type: "Fail", Cause: "c", CausePath: "$.c" } } },
  "map twice": { StartAt: "A", States: { A: { Type: "Map", ItemProcessor: { StartAt: "X", States: { X: { Type: "Succeed" } } }, Iterator: { StartAt: "Y", States: { Y: { Type: "Succeed" } } }, End: true } } },
  "map outbound": { StartAt: "A", States: { A: { Type: "Map", Iterator: { StartAt: "X", States: { X: { Type: "Pass", Next: "A" } } }, End: true } } },
  "branch outbound": { StartAt: "A", States: { A: { Type: "Parallel", Branches: [{ StartAt: "X", States: { X: { Type: "Pass", Next: "B" } } }], Next: "B" }, B: { Type: "Succeed" } } },
  "duplicate names": { StartAt: "A", States: { A: { Type: "Parallel", Branches: [{ StartAt: "A", States: { A: { Type: "Succeed" } } }], End: true } } },
  "no terminal": { StartAt: "A", States: { A: { Type: "Pass", Next: "B" }, B: { Type: "Pass", Next: "A" } } },
  "batcher twice": { StartAt: "A", States: { A: { Type: "Map", ItemProcessor: { ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" }, StartAt: "X", States: { X: { Type: "Succeed" } } }, ItemBatcher: { MaxItemsPerBatch: 2, MaxItemsPerBatchPath: "$.n" }, End: true } } },
  valid: { StartAt: "A", States: { A: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { "Payload.$": "$" }, TimeoutSeconds: 5, End: true } } },
};

describe("asl-validator with the thread's shortcuts", () => {
  it("reports exactly what it reports without them, call after call", { timeout: 60_000 }, () => {
    const verdicts = (): Record<string, unknown> => Object.fromEntries(Object.entries(BROKEN).map(([name, definition]) => [name, validate(structuredClone(definition), ASL_VALIDATOR_OPTIONS)]));
    const plain = verdicts();
    for (const [name, verdict] of Object.entries(plain)) expect({ name, valid: (verdict as { isValid: boolean }).isValid }).toEqual({ name, valid: name === "valid" });

    let constructed = 0;
    ajvModule.default = reuseCompiledSchemas(
      class extends Ajv {
        constructor(options?: object) {
          super(options);
          constructed++;
        }
      },
    );
    jsonPathModule.JSONPath = jsonPathShortcut(JSONPath);
    const sharedOnce = JSON.parse(JSON.stringify(verdicts())) as unknown;
    const sharedTwice = JSON.parse(JSON.stringify(verdicts())) as unknown;
    const expected = JSON.parse(JSON.stringify(plain)) as unknown;
    expect(sharedOnce).toEqual(expected);
    expect(sharedTwice).toEqual(expected);
    // One setup served all of those calls, so the comparison above is with the shortcut in use.
    expect(constructed).toBe(1);
  });
});
