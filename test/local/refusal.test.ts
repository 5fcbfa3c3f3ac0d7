import { describe, expect, it } from "vitest";
import { LocalEngine } from "../../workflows/local/local-engine.js";
import { InMemoryHistory } from "../../workflows/local/history.js";
import { invoke, machine } from "./machines.js";

const engineWith = (definitions: Record<string, ReturnType<typeof machine>>, tasks: Record<string, () => Promise<unknown>>) =>
  new LocalEngine({ definitions: new Map(Object.entries(definitions)), tasks: (name) => tasks[name], history: new InMemoryHistory(), retryDelayScale: 0 });

describe("what the local engine refuses before anything runs", () => {
  it("refuses a Task whose FunctionName has no local handler, naming machine, state and task", () => {
    let called = false;
    const build = () =>
      engineWith({ "t/refuse": machine({ Known: { ...invoke("known"), Next: "Unknown" }, Unknown: { ...invoke("ec2.terminate-instance"), End: true } }) }, {
        known: async () => {
          called = true;
          return {};
        },
      });
    expect(build).toThrow(expect.objectContaining({ name: "UnsupportedDefinition", message: expect.stringMatching(/t\/refuse, state "Unknown": invokes ec2\.terminate-instance, which has no local handler/) }));
    expect(called).toBe(false);
  });

  it("refuses resources other than the three the compiler emits, also inside a Map", () => {
    const definition = machine({
      Publish: { Type: "Task", Resource: "arn:aws:states:::sns:publish", Parameters: { TopicArn: "arn:aws:sns:us-east-1:123456789012:t", Message: "m" }, Next: "Direct" },
      Direct: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:123456789012:function:real", Next: "Each" },
      Each: {
        Type: "Map",
        ItemsPath: "$.items",
        ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, StartAt: "Inner", States: { Inner: { Type: "Task", Resource: "arn:aws:states:::dynamodb:putItem", Parameters: { TableName: "t", Item: {} }, End: true } } },
        End: true,
      },
    });
    const build = () => engineWith({ "t/resources": definition }, {});
    expect(build).toThrow(/state "Publish": has Resource "arn:aws:states:::sns:publish", which never runs locally/);
    expect(build).toThrow(/state "Direct": has Resource "arn:aws:lambda:us-east-1:123456789012:function:real"/);
    expect(build).toThrow(/state "Inner": has Resource "arn:aws:states:::dynamodb:putItem"/);
  });

  it("refuses a FunctionName that is not a placeholder, a child machine without definition, and features the library ignores", () => {
    const definition = machine({
      Named: { ...invoke("x"), Parameters: { FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:x" }, Next: "Dynamic" },
      Dynamic: { ...invoke("x"), Parameters: { "FunctionName.$": "$.fn" }, Next: "Child" },
      Child: { Type: "Task", Resource: "arn:aws:states:::states:startExecution.sync:2", Parameters: { StateMachineArn: "${Machine:t/missing}", "Input.$": "$" }, TimeoutSeconds: 5, Next: "Assigning" },
      Assigning: { Type: "Pass", Assign: { x: 1 }, End: true },
    });
    const build = () => engineWith({ "t/various": definition }, { x: async () => ({}) });
    expect(build).toThrow(/"Named": has FunctionName .* not a \$\{Task:<name>\} placeholder/);
    expect(build).toThrow(/"Dynamic": takes its FunctionName from a path/);
    expect(build).toThrow(/"Child": starts t\/missing, which has no local definition/);
    expect(build).toThrow(/"Assigning": uses Assign/);
  });

  it("refuses an invalid definition and a malformed machine key", () => {
    expect(() => engineWith({ "t/invalid": machine({ A: { Type: "Pass", Next: "Nowhere" } }) }, {})).toThrow(expect.objectContaining({ name: "InvalidDefinition" }));
    expect(() => engineWith({ "no-slash": machine({ A: { Type: "Pass", End: true } }) }, {})).toThrow(/no-slash: is not a machine key/);
  });

  it("refuses to start an unknown machine", () => {
    const engine = engineWith({ "t/ok": machine({ A: { Type: "Pass", End: true } }) }, {});
    expect(() => engine.start("t/other", {})).toThrow(expect.objectContaining({ name: "StateMachineDoesNotExist" }));
  });
});
