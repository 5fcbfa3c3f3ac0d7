/**
 * The live lines of `irflow run` / `irflow demo`, from history events as the local runner sends
 * them: a task's failure with its reason and its state, one line per failure, and a guarded step
 * that its `when:` skipped said to be skipped.
 */
import { describe, expect, it } from "vitest";
import { ProgressLines, failureText, guardRules } from "../../cli/commands/run-progress.js";
import type { StateMachine } from "../../workflows/compiler/asl.js";
import type { HistoryDraft } from "../../workflows/local/history.js";
import type { IncidentProgress } from "../../workflows/local/incident/local-incident-runner.js";

const PHASE = "arn:aws:states:local:000000000000:execution:irflow-demo-contain:1";
const EXEMPT = JSON.stringify({ errorType: "PreconditionFailed", errorMessage: "user break-glass is tagged irflow:exempt; irflow will not change it automatically", trace: [] });
const invoke = { resourceType: "lambda", resource: "invoke" };

/** Feeds drafts in order as the runner would (numbered per execution) and collects the printed lines. */
function play(drafts: readonly HistoryDraft[], machineKey = "demo/contain", executionArn = PHASE): string[] {
  const progress = new ProgressLines();
  return drafts.flatMap((draft, index) => {
    const event = { ...draft, id: index + 1, previousEventId: index, timestamp: "2026-11-25T10:00:00.000Z" } as IncidentProgress["event"];
    return progress.linesFor({ executionArn, machineKey, event }).map((line) => line.trim().replace(/\s+/, " "));
  });
}

const entered = (type: "Task" | "Choice" | "Pass" | "Map" | "Succeed", name: string): HistoryDraft => ({ type: `${type}StateEntered`, details: { name, input: {} } });
const exited = (type: "Task" | "Choice" | "Pass" | "Map" | "Succeed", name: string): HistoryDraft => ({ type: `${type}StateExited`, details: { name, output: {} } });
const failed = (error: string, cause: string): HistoryDraft => ({ type: "TaskFailed", details: { ...invoke, error, cause } });
const succeeded: HistoryDraft = { type: "TaskSucceeded", details: { ...invoke, output: {} } };
const scheduled: HistoryDraft = { type: "TaskScheduled", details: { ...invoke, parameters: {}, timeoutInSeconds: 60 } };

describe("ProgressLines: failures", () => {
  it("a failed task says which state failed and why (the Lambda error's message), once per failure", () => {
    // Two Map iterations of the plan run at once; one item (the exempt user) is refused, at its plan and again at its action.
    const lines = play([
      entered("Map", "Plan: Deactivate keys"),
      entered("Task", "Plan each: Deactivate keys"),
      entered("Task", "Plan each: Deactivate keys"),
      failed("PreconditionFailed", EXEMPT),
      exited("Task", "Plan each: Deactivate keys"),
      succeeded,
      exited("Task", "Plan each: Deactivate keys"),
      exited("Map", "Plan: Deactivate keys"),
      entered("Map", "Deactivate keys"),
      entered("Task", "Each: Deactivate keys"),
      entered("Task", "Each: Deactivate keys"),
      failed("PreconditionFailed", EXEMPT),
      exited("Task", "Each: Deactivate keys"),
    ]);
    const failures = lines.filter((line) => line.includes("failed"));
    expect(failures).toEqual([
      "contain Plan each: Deactivate keys failed: PreconditionFailed: user break-glass is tagged irflow:exempt; irflow will not change it automatically",
      "contain Each: Deactivate keys failed: PreconditionFailed: user break-glass is tagged irflow:exempt; irflow will not change it automatically",
    ]);
  });

  it("a failure its Retry tries again is followed by a retrying line; a first attempt, even after another's failure, is not", () => {
    const lines = play([
      entered("Task", "Isolate"),
      scheduled,
      failed("Transient", "Throttling: Rate exceeded"),
      scheduled,
      succeeded,
      exited("Task", "Isolate"),
      entered("Map", "Deactivate keys"),
      entered("Task", "Each: Deactivate keys"),
      entered("Task", "Each: Deactivate keys"),
      scheduled,
      failed("PreconditionFailed", EXEMPT),
      scheduled,
    ]);
    expect(lines).toEqual([
      "contain Isolate",
      "contain Isolate failed: Transient: Throttling: Rate exceeded",
      "contain Isolate: retrying",
      "contain Deactivate keys",
      "contain Each: Deactivate keys",
      "contain Each: Deactivate keys",
      "contain Each: Deactivate keys failed: PreconditionFailed: user break-glass is tagged irflow:exempt; irflow will not change it automatically",
    ]);
  });

  it("when iterations are at different task states, the failure names the step's Map instead of guessing one", () => {
    const lines = play([
      entered("Map", "Deactivate keys"),
      entered("Task", "Each: Deactivate keys"),
      entered("Task", "Each: Deactivate keys (record skip)"),
      failed("Transient", "Throttling: Rate exceeded"),
    ]);
    expect(lines.at(-1)).toBe("contain Deactivate keys failed: Transient: Throttling: Rate exceeded");
  });

  it("a rejected approval's reason is shown; a cause that only repeats the error is not", () => {
    const lines = play([entered("Task", "Approve: Close the port"), failed("Rejected", "rejected by bob: not that host"), exited("Task", "Approve: Close the port")]);
    expect(lines.at(-1)).toBe("contain Approve: Close the port failed: Rejected: rejected by bob: not that host");
    expect(failureText("Isolate", "States.Timeout", "States.Timeout")).toBe("Isolate failed: States.Timeout");
    expect(failureText(undefined, undefined, "")).toBe("failed: error");
  });

  it("recorded text reaches the terminal escaped: no control sequence, no forged line", () => {
    const cause = JSON.stringify({ errorType: "InvalidInput", errorMessage: "bad\u001b[2J\nresolved  incident inc-fake" });
    const lines = play([entered("Task", "Isolate"), failed("InvalidInput", cause)]);
    expect(lines.at(-1)).toBe("contain Isolate failed: InvalidInput: bad\\x1b[2J\\x0aresolved  incident inc-fake");
  });

  it("a long cause is cut to one readable line", () => {
    const [line] = play([failed("InvalidInput", "x".repeat(1000))]);
    expect(line!.length).toBeLessThan(340);
    expect(line).toMatch(/…$/);
  });
});

describe("ProgressLines: guarded steps", () => {
  it("a step whose Check goes elsewhere is shown skipped; one whose Check enters it keeps its lines", () => {
    const lines = play([
      entered("Choice", "Check: Block the address"),
      exited("Choice", "Check: Block the address"),
      entered("Task", "Plan: Block the address"),
      exited("Task", "Plan: Block the address"),
      entered("Task", "Block the address"),
      exited("Task", "Block the address"),
      entered("Choice", "Check: Tell the owner"),
      exited("Choice", "Check: Tell the owner"),
      entered("Choice", "Check: Tell the owner the port is being closed"),
      exited("Choice", "Check: Tell the owner the port is being closed"),
      entered("Task", "Tell the owner the port is being closed"),
      exited("Task", "Tell the owner the port is being closed"),
      entered("Choice", "Check: Close the port"),
      exited("Choice", "Check: Close the port"),
      entered("Succeed", "Contain complete"),
      { type: "ExecutionSucceeded", details: { output: {} } },
    ]);
    expect(lines).toEqual([
      "contain Check: Block the address",
      "contain Plan: Block the address",
      "contain Block the address",
      "contain Tell the owner: skipped (its when: condition does not hold)",
      "contain Check: Tell the owner the port is being closed",
      "contain Tell the owner the port is being closed",
      "contain Close the port: skipped (its when: condition does not hold)",
      "contain Contain complete",
    ]);
  });

  it("a step that runs on Map items, or straight to its approval, counts as run", () => {
    const lines = play([entered("Choice", "Check: Notify"), exited("Choice", "Check: Notify"), entered("Pass", "Count: Notify"), entered("Choice", "Check: Isolate"), exited("Choice", "Check: Isolate"), entered("Task", "Approve: Isolate")]);
    expect(lines).toEqual(["contain Check: Notify", "contain Count: Notify", "contain Check: Isolate", "contain Approve: Isolate"]);
  });

  it("a phase stopped right after a Check shows the Check as entered, then why it stopped, never a skip", () => {
    const lines = play([entered("Choice", "Check: Isolate"), { type: "ExecutionAborted", details: { cause: "aborted by alice: interrupted (SIGINT)" } }]);
    expect(lines).toEqual(["contain Check: Isolate", "contain phase aborted by alice: interrupted (SIGINT)"]);
  });

  it("executions are kept apart: a Check held in one phase is settled by that phase's next state only", () => {
    const progress = new ProgressLines();
    const event = (draft: HistoryDraft, id: number) => ({ ...draft, id, previousEventId: id - 1, timestamp: "2026-11-25T10:00:00.000Z" }) as IncidentProgress["event"];
    const contain = progress.linesFor({ executionArn: "contain-1", machineKey: "demo/contain", event: event(entered("Choice", "Check: Isolate"), 1) });
    const other = progress.linesFor({ executionArn: "eradicate-1", machineKey: "demo/eradicate", event: event(entered("Task", "Isolate"), 1) });
    const next = progress.linesFor({ executionArn: "contain-1", machineKey: "demo/contain", event: event(entered("Task", "Notify"), 2) });
    expect(contain).toEqual([]);
    expect(other.map((line) => line.trim().replace(/\s+/, " "))).toEqual(["eradicate Isolate"]);
    expect(next.map((line) => line.trim().replace(/\s+/, " "))).toEqual(["contain Isolate: skipped (its when: condition does not hold)", "contain Notify"]);
  });

  it("with the machine's guards, a skipped step says which part of its when: did not hold", () => {
    const exists = (path: string) => ({ And: [{ Variable: path, IsPresent: true }, { Variable: path, IsNull: false }] });
    const contain = {
      StartAt: "Check: Tell the owner",
      States: {
        "Check: Tell the owner": { Type: "Choice", Comment: "", Choices: [{ And: [exists("$.block.cidr"), { Not: exists("$.instance.openToWorld[0]") }], Next: "Tell the owner" }], Default: "Contain complete" },
        "Tell the owner": { Type: "Succeed", Comment: "" },
        "Contain complete": { Type: "Succeed", Comment: "" },
      },
    } as unknown as StateMachine;
    const progress = new ProgressLines(guardRules(new Map([["demo/contain", contain]])));
    const input = { block: { cidr: "203.0.113.77/32" }, instance: { openToWorld: ["sgr-0cc3"] } };
    const at = (draft: HistoryDraft, id: number) => progress.linesFor({ executionArn: PHASE, machineKey: "demo/contain", event: { ...draft, id, previousEventId: id - 1, timestamp: "2026-11-25T10:00:00.000Z" } });
    expect(at({ type: "ChoiceStateEntered", details: { name: "Check: Tell the owner", input } }, 1)).toEqual([]);
    const lines = at(entered("Succeed", "Contain complete"), 2).map((line) => line.trim().replace(/\s+/, " "));
    expect(lines).toEqual(["contain Tell the owner: skipped (its when: condition does not hold: $.instance.openToWorld[0] exists)", "contain Contain complete"]);
    // A machine or state it does not know: the line says skipped, without a reason.
    expect(guardRules(new Map())("demo/contain", "Check: Tell the owner")).toBeUndefined();
    expect(guardRules(new Map([["demo/contain", contain]]))("demo/contain", "Tell the owner")).toBeUndefined();
  });

  it("the incident machine's own events print nothing", () => {
    expect(play([entered("Task", "Contain"), failed("States.TaskFailed", "{}")], "demo/incident")).toEqual([]);
  });
});
