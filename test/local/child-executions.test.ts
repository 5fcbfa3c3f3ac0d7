import { describe, expect, it } from "vitest";
import { TaskError } from "../../functions/contract/errors.js";
import { engineFor, eventually, invoke, machine } from "./machines.js";

const runChild = (extra: Record<string, unknown> = {}) => ({
  Type: "Task",
  Resource: "arn:aws:states:::states:startExecution.sync:2",
  Parameters: { StateMachineArn: "${Machine:t/child}", "Name.$": "States.Format('{}-child', $.id)", "Input.$": "$" },
  OutputPath: "$.Output",
  TimeoutSeconds: 10,
  ...extra,
});

function parentAndChild(childTask: (payload: unknown, signal: AbortSignal) => Promise<unknown>) {
  return engineFor(
    {
      "t/parent": machine({
        "Run child": { ...runChild(), Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Child failed" }], End: true },
        "Child failed": { Type: "Fail", Error: "ChildFailed", CausePath: "$.failure.Cause" },
      }),
      "t/child": machine({ Work: { ...invoke("child.work"), ResultSelector: { "value.$": "$.Payload.value" }, ResultPath: "$.work", End: true } }),
    },
    { "child.work": childTask },
  );
}

describe.concurrent("startExecution.sync:2 children", () => {
  it("runs the child named by the Name parameter and continues with its output", async () => {
    const { engine, history } = parentAndChild(async () => ({ value: 42 }));
    const run = engine.start("t/parent", { id: "inc-1" });
    await expect(run.result).resolves.toEqual({ status: "SUCCEEDED", output: { id: "inc-1", work: { value: 42 } } });
    const childArn = "arn:aws:states:local:000000000000:execution:irflow-t-child:inc-1-child";
    expect(engine.describeExecution(childArn)).toMatchObject({ status: "SUCCEEDED", parentExecutionId: run.executionArn });
    expect(history.events(childArn)[0]).toMatchObject({ type: "ExecutionStarted", details: { input: { id: "inc-1" }, parentExecutionArn: run.executionArn } });
    const succeeded = history.events(run.executionArn).find((e) => e.type === "TaskSucceeded");
    expect(succeeded?.details).toMatchObject({ resource: "startExecution.sync:2", output: { ExecutionArn: childArn, Status: "SUCCEEDED", Output: { id: "inc-1", work: { value: 42 } }, StartDate: expect.any(Number), StopDate: expect.any(Number) } });
  });

  it("fails the state with States.TaskFailed and a Cause carrying the child's error and cause", async () => {
    const { engine } = parentAndChild(() => Promise.reject(new TaskError("PreconditionFailed", "instance is exempt")));
    const outcome = await engine.start("t/parent", { id: "inc-2" }).result;
    expect(outcome).toMatchObject({ status: "FAILED", error: "ChildFailed" });
    const cause = JSON.parse((outcome as { cause: string }).cause) as Record<string, unknown>;
    expect(cause).toMatchObject({ Status: "FAILED", Error: "PreconditionFailed", ExecutionArn: expect.stringContaining(":irflow-t-child:inc-2-child") });
    expect(JSON.parse(cause.Cause as string)).toMatchObject({ errorType: "PreconditionFailed", errorMessage: "instance is exempt" });
  });

  it("aborts the child when the parent is aborted", async () => {
    let childSignal: AbortSignal | undefined;
    const { engine } = parentAndChild((_payload, signal) => {
      childSignal = signal;
      return new Promise(() => undefined);
    });
    const run = engine.start("t/parent", { id: "inc-3" });
    const signal = await eventually(() => childSignal);
    run.abort("stop everything");
    await expect(run.result).resolves.toEqual({ status: "ABORTED" });
    expect(signal.aborted).toBe(true);
    const child = await eventually(() => {
      const description = engine.describeExecution("arn:aws:states:local:000000000000:execution:irflow-t-child:inc-3-child");
      return description?.status === "RUNNING" ? undefined : description;
    });
    expect(child.status).toBe("ABORTED");
  });
});

describe.concurrent("named starts", () => {
  it("returns the running execution for the same name and input, and refuses a different input", async () => {
    let release: (() => void) | undefined;
    let calls = 0;
    const { engine } = engineFor(
      { "t/named": machine({ Work: { ...invoke("work"), End: true } }) },
      {
        work: () => {
          calls += 1;
          return new Promise((resolve) => (release = () => resolve({ calls })));
        },
      },
    );
    const first = engine.start("t/named", { incidentId: "inc-1", a: 1, b: 2 }, { name: "inc-1-contain" });
    expect(first.executionArn).toBe("arn:aws:states:local:000000000000:execution:irflow-t-named:inc-1-contain");
    const again = engine.start("t/named", { b: 2, a: 1, incidentId: "inc-1" }, { name: "inc-1-contain" });
    expect(again).toBe(first);
    expect(() => engine.start("t/named", { incidentId: "inc-1", a: 2 }, { name: "inc-1-contain" })).toThrow(expect.objectContaining({ name: "ExecutionAlreadyExists" }));
    await eventually(() => release);
    release!();
    await expect(first.result).resolves.toMatchObject({ status: "SUCCEEDED" });
    expect(calls).toBe(1);
    // As in AWS, a stopped execution's name cannot be started again, even with the same input.
    expect(() => engine.start("t/named", { incidentId: "inc-1", a: 1, b: 2 }, { name: "inc-1-contain" })).toThrow(/already exists and has stopped \(SUCCEEDED\)/);
  });

  it("refuses names AWS would refuse and defaults to a UUID", () => {
    const { engine } = engineFor({ "t/names": machine({ Done: { Type: "Succeed" } }) }, {});
    expect(() => engine.start("t/names", {}, { name: "has space" })).toThrow(expect.objectContaining({ name: "InvalidName" }));
    expect(() => engine.start("t/names", {}, { name: "x".repeat(81) })).toThrow(expect.objectContaining({ name: "InvalidName" }));
    expect(engine.start("t/names", {}).executionArn).toMatch(/:execution:irflow-t-names:[0-9a-f-]{36}$/);
  });
});
