import { describe, expect, it } from "vitest";
import type { IncidentRecord, RecordedApproval, RecordedExecution, RecordedFailure } from "../../functions/audit/incident-record.js";
import { endingLines } from "../../cli/commands/run-ending.js";
import type { Outcome } from "../../workflows/local/outcome.js";

const ARN = "arn:aws:states:local:000000000000:execution:irflow-x-contain:inc-1-contain";
/** The incident machine's failure: the child execution's DescribeExecution output as JSON, as startExecution.sync gives it. */
const childFailure = (error: string, cause: string): Outcome => ({ status: "FAILED", error, cause: JSON.stringify({ ExecutionArn: ARN, Status: "FAILED", Error: "States.Runtime", Cause: cause }) });
const execution = (phase: string, status: string, more: Partial<RecordedExecution> = {}): RecordedExecution => ({ phase, machineKey: `x/${phase}`, executionArn: `${ARN}-${phase}`, name: phase, startedAt: "2026-11-25T00:00:00Z", status, ...more });
const approval = (stepId: string, decision: NonNullable<RecordedApproval["decision"]>): RecordedApproval => ({
  approval: { id: "apr-1", stepId, stepTitle: "Isolate the instance", deadline: "2026-11-25T00:30:00Z", approvers: ["arn:aws:iam::*:role/IncidentResponder"], planDigests: [] },
  decision,
  refusals: [],
  reminders: 0,
});
const failure = (stepId: string, error: string, cause?: string): RecordedFailure => ({ stepId, error, ...(cause ? { cause } : {}), at: "2026-11-25T00:01:00Z", seq: 9 });
// Only the parts of the record the ending reads.
const record = (parts: { executions: RecordedExecution[]; failures?: RecordedFailure[]; approvals?: RecordedApproval[] }): IncidentRecord => ({ failures: [], approvals: [], ...parts }) as unknown as IncidentRecord;
const IncidentFailed = childFailure("IncidentFailed", "{\"errorMessage\":\"x\"}");

describe("endingLines: why a run did not resolve, in words", () => {
  it("a rejected approval: who rejected and why, not the execution's JSON", () => {
    const lines = endingLines(IncidentFailed, record({ executions: [execution("detect", "SUCCEEDED"), execution("contain", "FAILED", { error: "Rejected" }), execution("post-incident", "SUCCEEDED")], failures: [failure("contain/isolate", "Rejected", "rejected by bob: not that host")], approvals: [approval("contain/isolate", { decision: "rejected", by: ["bob"], reason: "not that host", decidedAt: "2026-11-25T00:01:00Z" })] }));
    expect(lines).toEqual(["contain failed: rejected by bob: not that host"]);
  });

  it("a timed-out approval names the step and its deadline", () => {
    const lines = endingLines(IncidentFailed, record({ executions: [execution("contain", "FAILED")], failures: [failure("contain/isolate", "States.Timeout")], approvals: [approval("contain/isolate", { decision: "expired", by: ["system:approval-sweep"], reason: "", decidedAt: "2026-11-25T00:30:00Z" })] }));
    expect(lines).toEqual(["contain failed: nobody answered the approval of Isolate the instance by 2026-11-25T00:30:00Z (timed out)"]);
  });

  it("an aborted phase says who aborted it and why; a timed-out phase says so", () => {
    expect(endingLines({ status: "ABORTED" }, record({ executions: [execution("contain", "ABORTED", { cause: "aborted by bob: a test key" })] }))).toEqual(["contain aborted by bob: a test key"]);
    expect(endingLines({ status: "ABORTED" }, record({ executions: [execution("eradicate", "TIMED_OUT")] }))).toEqual(["eradicate timed out (the phase ran past its TimeoutSeconds)"]);
  });

  it("a step that failed on its own: the step, its error and the innermost cause of Lambda's JSON", () => {
    const lines = endingLines(IncidentFailed, record({ executions: [execution("contain", "FAILED")], failures: [failure("contain/isolate", "NotFound", JSON.stringify({ errorType: "NotFound", errorMessage: "no instance i-0abc" }))], approvals: [approval("contain/isolate", { decision: "approved", by: ["bob"], reason: "ok", decidedAt: "x" })] }));
    expect(lines).toEqual(["contain failed: contain/isolate: NotFound: no instance i-0abc"]);
  });

  it("a phase that failed with no step failure recorded (a States.Runtime error): its own error and cause", () => {
    const lines = endingLines(childFailure("DetectionFailed", "Path expression '$.resource.instanceId' does not point to a value"), record({ executions: [execution("detect", "FAILED", { error: "States.Runtime", cause: "Path expression '$.resource.instanceId' does not point to a value" })] }));
    expect(lines).toEqual(["detect failed: States.Runtime: Path expression '$.resource.instanceId' does not point to a value"]);
  });

  it("a detect step that failed after the incident opened (detect ends carrying the failure): said as detect's failure, not as the incident machine's error", () => {
    const cause = JSON.stringify({ errorType: "NotFound", errorMessage: "DescribeInstances i-0abc: InvalidInstanceID.NotFound" });
    const lines = endingLines(childFailure("IncidentFailed", cause), record({ executions: [execution("post-incident", "SUCCEEDED")], failures: [failure("detect/describe-the-instance", "NotFound", cause)] }));
    expect(lines).toEqual(["detect failed: detect/describe-the-instance: NotFound: DescribeInstances i-0abc: InvalidInstanceID.NotFound"]);
  });

  it("DetectionFailed before any incident opened: the real cause out of the nested JSON, cut to a line", () => {
    expect(endingLines(childFailure("DetectionFailed", "Path expression '$.detail.id' does not point to a value"), undefined)).toEqual(["detection failed: Path expression '$.detail.id' does not point to a value"]);
    const [long] = endingLines(childFailure("DetectionFailed", "x".repeat(1000)), undefined);
    expect(long!.length).toBeLessThan(340);
    expect(long).toMatch(/…$/);
  });

  it("recorded text reaches the terminal escaped: a reason cannot clear the screen or forge a resolved line", () => {
    const reason = "no\u001b[2J\nresolved  incident inc-fake";
    const lines = endingLines(IncidentFailed, record({ executions: [execution("contain", "FAILED", { error: "Rejected" })], failures: [failure("contain/isolate", "Rejected")], approvals: [approval("contain/isolate", { decision: "rejected", by: ["bob"], reason, decidedAt: "2026-11-25T00:01:00Z" })] }));
    expect(lines).toEqual(["contain failed: rejected by bob: no\\x1b[2J\\x0aresolved  incident inc-fake"]);
    expect(endingLines(childFailure("DetectionFailed", "bad\u009b\u202eevent"), undefined)).toEqual(["detection failed: bad\\x9b\\u202eevent"]);
  });

  it("nothing to say for a resolved run", () => {
    expect(endingLines({ status: "SUCCEEDED", output: {} }, record({ executions: [execution("contain", "SUCCEEDED")] }))).toEqual([]);
  });
});
