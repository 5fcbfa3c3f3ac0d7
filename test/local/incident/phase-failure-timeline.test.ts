import { describe, expect, it } from "vitest";
import { auditEntry, KIND } from "../../../functions/audit/audit-kinds.js";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { MemoryAuditLog } from "../../../functions/audit/memory-audit-log.js";

const ARN = "arn:aws:states:local:000000000000:execution:irflow-x-detect:d1";
const facts = { phase: "detect", machineKey: "x/detect", executionArn: ARN, name: "d1" };

async function timelineOf(body: Record<string, unknown>): Promise<string[]> {
  const log = new MemoryAuditLog();
  await log.append("inc-1", auditEntry(KIND.phaseStarted, "system:step-functions", "2026-11-25T00:00:00.000Z", facts));
  await log.append("inc-1", auditEntry(KIND.phaseEnded, "system:step-functions", "2026-11-25T00:00:01.000Z", { ...facts, ...body } as never));
  return projectRecord("inc-1", log.entriesNow("inc-1")).timeline.map((item) => item.what);
}

describe("the timeline keeps why a phase failed (irflow history, the report)", () => {
  it("a States.Runtime failure says which path did not resolve, not just States.Runtime", async () => {
    const what = await timelineOf({ status: "FAILED", error: "States.Runtime", cause: "Path expression '$.resource.instanceId' does not point to a value" });
    expect(what.at(-1)).toBe("phase detect failed (States.Runtime: Path expression '$.resource.instanceId' does not point to a value)");
  });

  it("a cause nested in a child execution's JSON is unwrapped and cut to one line", async () => {
    const nested = JSON.stringify({ ExecutionArn: ARN, Status: "FAILED", Cause: JSON.stringify({ errorMessage: `no instance ${"i".repeat(400)}` }) });
    const [, line] = await timelineOf({ status: "FAILED", error: "States.TaskFailed", cause: nested });
    expect(line).toMatch(/^phase detect failed \(States\.TaskFailed: no instance i+…\)$/);
    expect(line!.length).toBeLessThan(300);
  });

  it("an aborted phase is not told twice who aborted it (the abort entry says so)", async () => {
    expect((await timelineOf({ status: "ABORTED", cause: "aborted by bob: why" })).at(-1)).toBe("phase detect aborted");
  });
});
