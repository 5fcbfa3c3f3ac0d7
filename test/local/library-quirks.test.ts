import { describe, expect, it } from "vitest";
import { executionArn, machineName, placeholderName, stateMachineArn } from "../../workflows/local/arns.js";
import { canonicalJson, replaceInStrings } from "../../workflows/local/json.js";
import { choiceRule, libraryDefinition, MAX_TIMER_SECONDS } from "../../workflows/local/local-definition.js";
import { itemCount } from "../../workflows/local/translate-event.js";
import { engineFor, invoke, machine } from "./machines.js";

/** Runs one Choice rule through the engine: which branch does it take for `input`? */
async function branchTaken(rule: Record<string, unknown>, input: unknown): Promise<unknown> {
  const { engine } = engineFor(
    { "t/choice": machine({ Decide: { Type: "Choice", Choices: [{ ...rule, Next: "Yes" }], Default: "No" }, Yes: { Type: "Pass", Result: "yes", End: true }, No: { Type: "Pass", Result: "no", End: true } }) },
    {},
  );
  const outcome = await engine.start("t/choice", input).result;
  return outcome.status === "SUCCEEDED" ? outcome.output : outcome;
}

describe.concurrent("Choice rules behave as in Step Functions (the library reads `IsNull: false` as never true)", () => {
  it.each([
    ["IsNull: false on a value", { Variable: "$.a", IsNull: false }, { a: 1 }, "yes"],
    ["IsNull: false on null", { Variable: "$.a", IsNull: false }, { a: null }, "no"],
    ["IsPresent: false on a missing field", { Variable: "$.missing", IsPresent: false }, { a: 1 }, "yes"],
    ["IsString: false on a number", { Variable: "$.a", IsString: false }, { a: 1 }, "yes"],
    ["the compiler's guard (IsPresent, IsNull: false) inside And", { And: [{ Variable: "$.a", IsPresent: true }, { Variable: "$.a", IsNull: false }, { Variable: "$.a", StringEquals: "x" }] }, { a: "x" }, "yes"],
    ["Not of a guarded comparison", { Not: { And: [{ Variable: "$.d", IsPresent: true }, { Variable: "$.d", IsNull: false }, { Variable: "$.d", StringEquals: "outbound" }] } }, { d: "inbound" }, "yes"],
    ["StringMatches with a literal ?", { Variable: "$.a", StringMatches: "why?*" }, { a: "whyX" }, "no"],
    ["StringMatches with * wildcards", { Variable: "$.a", StringMatches: "*ConsoleLogin*" }, { a: "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B" }, "yes"],
  ])("%s", async (_name, rule, input, expected) => {
    expect(await branchTaken(rule, input)).toBe(expected);
  });

  it("keeps escapes in StringMatches and leaves Next where it was", () => {
    expect(choiceRule({ Variable: "$.a", StringMatches: "a\\*b?\\?", Next: "N" })).toEqual({ Variable: "$.a", StringMatches: "a\\*b\\?\\?", Next: "N" });
    expect(choiceRule({ Variable: "$.a", IsNull: false, Next: "N" })).toEqual({ Not: { Variable: "$.a", IsNull: true }, Next: "N" });
  });
});

describe("the definition the library runs", () => {
  it("gives every Task its timeout (AWS's default, not the library's 60 s) within Node's timer range", () => {
    const prepared = libraryDefinition(
      machine({ A: { ...invoke("x"), TimeoutSeconds: undefined, Next: "B" }, B: { ...invoke("x"), TimeoutSeconds: 7, End: true } }, { TimeoutSeconds: 99_999_999 }),
      1,
    );
    expect(prepared.States.A).toMatchObject({ TimeoutSeconds: MAX_TIMER_SECONDS });
    expect(prepared.States.B).toMatchObject({ TimeoutSeconds: 7 });
    expect(prepared.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
  });

  it("scales Retry waits, also inside a Map, and leaves them alone at scale 1", () => {
    const retry = [{ ErrorEquals: ["Transient"], IntervalSeconds: 2, MaxDelaySeconds: 60, BackoffRate: 2, JitterStrategy: "FULL" }];
    const definition = machine({
      Each: { Type: "Map", ItemsPath: "$.items", ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, StartAt: "Inner", States: { Inner: { ...invoke("x"), Retry: retry, End: true } } }, End: true },
    });
    const scaled = libraryDefinition(definition, 0.5) as unknown as { States: { Each: { ItemProcessor: { States: { Inner: { Retry: unknown } } } } } };
    expect(scaled.States.Each.ItemProcessor.States.Inner.Retry).toEqual([{ ...retry[0], IntervalSeconds: 1, MaxDelaySeconds: 30 }]);
    const unscaled = libraryDefinition(definition, 1) as unknown as typeof scaled;
    expect(unscaled.States.Each.ItemProcessor.States.Inner.Retry).toEqual(retry);
  });
});

describe("small pieces", () => {
  it("names machines and executions as the stacks deploy them", () => {
    expect(machineName("ssh-rdp-brute-force/post-incident")).toBe("irflow-ssh-rdp-brute-force-post-incident");
    expect(stateMachineArn("a-b/contain")).toBe("arn:aws:states:local:000000000000:stateMachine:irflow-a-b-contain");
    expect(executionArn("a-b/contain", "inc-1-contain")).toBe("arn:aws:states:local:000000000000:execution:irflow-a-b-contain:inc-1-contain");
    expect(placeholderName("${Task:ec2.block-ip}", "Task")).toBe("ec2.block-ip");
    expect(placeholderName("${Machine:a/b}", "Task")).toBeUndefined();
    expect(placeholderName("prefix ${Task:x}", "Task")).toBeUndefined();
  });

  it("counts Map items for simple ItemsPaths only", () => {
    expect(itemCount("$.a.b", { a: { b: [1, 2] } })).toBe(2);
    expect(itemCount(undefined, [1, 2, 3])).toBe(3);
    expect(itemCount("$.a[1]", { a: [[], [1]] })).toBe(1);
    expect(itemCount("$..b", { b: [1] })).toBeUndefined();
  });

  it("replaces inside nested strings and compares documents whatever their key order", () => {
    expect(replaceInStrings({ a: ["x TOKEN y", { TOKEN: "TOKEN" }], n: 1 }, "TOKEN", "t")).toEqual({ a: ["x t y", { TOKEN: "t" }], n: 1 });
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
  });
});

describe.concurrent("terminal and empty failures", () => {
  it("fails with States.DataLimitExceeded, past any Catch, when a task returns more than 256 KiB", async () => {
    const { engine } = engineFor(
      { "t/big": machine({ Big: { ...invoke("big"), Catch: [{ ErrorEquals: ["States.ALL"], Next: "Caught" }], End: true }, Caught: { Type: "Succeed" } }) },
      { big: async () => ({ blob: "x".repeat(300 * 1024) }) },
    );
    await expect(engine.start("t/big", {}).result).resolves.toMatchObject({ status: "FAILED", error: "States.DataLimitExceeded", cause: expect.stringContaining("the result of big is") });
  });

  it("counts the 256 KiB on the whole Lambda response, in UTF-8 bytes: exactly the limit passes, one byte more fails", async () => {
    const limit = 256 * 1024;
    const frame = Buffer.byteLength(JSON.stringify({ Payload: "", StatusCode: 200, ExecutedVersion: "$LATEST" }), "utf8");
    // Two-byte characters, so a count of characters instead of bytes would let the second through.
    const fill = (bytes: number) => "é".repeat(Math.floor((bytes - frame) / 2)) + "x".repeat((bytes - frame) % 2);
    const { engine } = engineFor(
      { "t/edge": machine({ Edge: { ...invoke("edge"), End: true } }) },
      { edge: async (payload) => fill((payload as { bytes: number }).bytes) },
    );
    await expect(engine.start("t/edge", { bytes: limit }).result).resolves.toMatchObject({ status: "SUCCEEDED" });
    await expect(engine.start("t/edge", { bytes: limit + 1 }).result).resolves.toMatchObject({ status: "FAILED", error: "States.DataLimitExceeded", cause: expect.stringContaining(`is ${limit + 1} bytes`) });
  });

  it("reports a Fail state without Error and Cause as empty, not as the library's invention", async () => {
    const { engine } = engineFor({ "t/bare-fail": machine({ Stop: { Type: "Fail" } }) }, {});
    await expect(engine.start("t/bare-fail", {}).result).resolves.toEqual({ status: "FAILED", error: "", cause: "" });
  });
});
