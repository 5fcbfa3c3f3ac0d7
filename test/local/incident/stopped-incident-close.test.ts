/** An incident whose run stops before post-incident (aborted, failed in detect) is closed by the runner, with its report. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { MemoryIncidentStore } from "../../../functions/detect/incident-store.js";
import { MemoryIncidentRecordStore } from "../../../workflows/local/incident/incident-record.js";
import { openLocalRuntime } from "../../../workflows/local/local-runtime.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { SqliteIncidentStore } from "../../../workflows/local/store/sqlite-incident-store.js";
import { runnerFor, scenario } from "./support.js";
import { until } from "../../support/eventually.js";
import { tempDir as makeTempDir } from "../../support/temp-dir.js";

const GATED = "iam-access-key-compromise";
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0).reverse()) step();
});

/** Removed when the test finishes, after the afterEach above has closed what uses it. */
const tempDir = (): string => makeTempDir("irflow-stopped-");

describe("a run that stops before post-incident closes its incident", { timeout: 60_000 }, () => {
  it("aborted: incident.closed (aborted, by whom, why) after the phases' ends, the report written, the store closed; the same event again opens a new incident", async () => {
    const dir = tempDir();
    const reports = tempDir();
    const s = await scenario(GATED);
    const runtime = await openLocalRuntime({ dir, account: s.account, runbookIds: [GATED], clock: { now: () => new Date() }, retryDelayScale: 0, reportsDirectory: reports, approvalSweepMs: 0 });
    cleanup.push(() => runtime.close());
    const { runner } = runtime;
    const run = runner.runIncident({ runbookId: GATED, event: s.event, approvals: "manual" });
    const pending = await until(async () => (await runner.approvals.list())[0]);
    await runner.abort({ by: "alice", reason: "wrong host" });
    const result = await run;
    const incidentId = pending.incidentId;
    expect(result).toMatchObject({ status: "aborted", incidentId, reportLocation: join(reports, `${incidentId}.md`) });

    const entries = new SqliteAuditLog(runtime.database).entriesNow(incidentId);
    const closed = entries.filter((e) => e.kind === "incident.closed");
    expect(closed).toEqual([expect.objectContaining({ actor: "system:irflow-local", body: expect.objectContaining({ status: "aborted", stopped: { execution: "ABORTED", by: "alice", reason: "wrong host" } }) })]);
    // The abort's order holds, and the close comes after all of it: abort.applied, withdrawn, the phases' ends.
    const seq = (kind: string) => entries.filter((e) => e.kind === kind).map((e) => e.seq);
    const closeSeq = closed[0]!.seq;
    for (const kind of ["abort.applied", "approval.withdrawn", "phase.ended"]) {
      expect(seq(kind).length).toBeGreaterThan(0);
      for (const at of seq(kind)) expect(at).toBeLessThan(closeSeq);
    }
    expect(entries.filter((e) => e.kind === "report.written").map((e) => e.body.format)).toEqual(["md", "html"]);

    const record = projectRecord(incidentId, entries);
    expect(record.unreadable).toEqual([]);
    expect(record.closed).toMatchObject({ status: "aborted", stopped: { by: "alice", reason: "wrong host" } });
    expect(record.timeline.find((item) => item.kind === "incident.closed")?.what).toBe("incident closed: aborted by alice: wrong host");
    const markdown = readFileSync(join(reports, `${incidentId}.md`), "utf8");
    expect(markdown).toContain("- Outcome: **ABORTED** (aborted by alice: wrong host)");
    expect(markdown).toContain("The incident was aborted by alice: wrong host. Its run stopped before the post-incident phase (the incident execution ended ABORTED); system:irflow-local closed it and wrote this report.");
    expect(markdown).not.toContain("interim");
    expect(readFileSync(join(reports, `${incidentId}.html`), "utf8")).toContain('<span class="badge aborted">aborted</span>');

    const store = new SqliteIncidentStore(runtime.database);
    expect(store.incident(incidentId)).toMatchObject({ status: "closed" });
    // The same finding again (a new delivery) is a new incident, not a join of the aborted one.
    const again = runner.runIncident({ runbookId: GATED, event: { ...s.event, id: "another-delivery" }, approvals: "manual" });
    const next = await until(async () => (await runner.approvals.list()).find((a) => a.incidentId !== incidentId));
    expect(next.incidentId).not.toBe(incidentId);
    await runner.abort({ by: "alice", reason: "done" });
    expect((await again).status).toBe("aborted");
  });

  it("failed in detect after the incident opened (DetectionFailed): closed as failed with the cause, and the report says so", async () => {
    // The IAM finding given to the S3 runbook: detect opens the incident, then a later detect step fails.
    const iam = await scenario(GATED);
    const s3 = await scenario("public-s3-bucket");
    const incidents = new MemoryIncidentStore();
    const records = new MemoryIncidentRecordStore();
    const runner = await runnerFor(s3, { incidents, records });
    const result = await runner.runIncident({ runbookId: "public-s3-bucket", event: iam.event, approvals: "auto" });
    expect(result.status).toBe("detection-failed");
    expect(result.incidentId).toBeDefined();
    const incidentId = result.incidentId!;
    expect(result.reportLocation).toMatch(new RegExp(`${incidentId}\\.md$`));
    expect(existsSync(result.reportLocation!)).toBe(true);
    const record = records.get(incidentId)!;
    expect(record.closed).toMatchObject({ status: "failed", stopped: { execution: "FAILED" } });
    expect(record.closed!.stopped!.reason).toBe("DetectionFailed: Path expression '$.resource.bucketName' does not point to a value");
    expect(record.closed!.document.failure).toMatchObject({ Error: "DetectionFailed" });
    // After the detect phase's end.
    const detectEnd = record.timeline.find((item) => item.kind === "phase.ended")!;
    const close = record.timeline.find((item) => item.kind === "incident.closed")!;
    expect(detectEnd.seq).toBeLessThan(close.seq);
    expect(close.what).toMatch(/^incident closed: failed \(the incident execution ended FAILED before post-incident closed it\): DetectionFailed: /);
    // Post-incident never ran: neither the close nor the reports are put in it.
    expect(record.timeline.filter((item) => item.kind === "incident.closed" || item.kind === "report.written").map((item) => item.phase)).toEqual([undefined, undefined, undefined]);
    const markdown = readFileSync(result.reportLocation!, "utf8");
    expect(markdown).toContain("- Outcome: **FAILED**");
    expect(markdown).toContain("The incident ended FAILED: DetectionFailed: Path expression '$.resource.bucketName' does not point to a value. Its run stopped before the post-incident phase (the incident execution ended FAILED)");
    expect(incidents.incident(incidentId)).toMatchObject({ status: "closed" });
    // The same event again opens a new incident (it would have joined the open one for 24 h).
    const rerun = await runner.runIncident({ runbookId: "public-s3-bucket", event: { ...iam.event, id: "redelivered-later" }, approvals: "auto" });
    expect(rerun.status).toBe("detection-failed");
    expect(rerun.incidentId).not.toBe(incidentId);
  });

  it("a joined duplicate run that is stopped does not close the incident it joined", async () => {
    const s = await scenario(GATED);
    const incidents = new MemoryIncidentStore();
    const records = new MemoryIncidentRecordStore();
    const runner = await runnerFor(s, { incidents, records, approvalSweepMs: 0 });
    const first = runner.runIncident({ runbookId: GATED, event: s.event, approvals: "manual" });
    const pending = await until(async () => (await runner.approvals.list())[0]);
    // A second delivery of the finding joins; it is stopped as soon as its open-incident step has answered.
    let stopping: Promise<string[]> | undefined;
    const second = await runner.runIncident({
      runbookId: GATED,
      event: { ...s.event, id: "second-delivery" },
      approvals: "manual",
      onEvent: ({ executionArn, machineKey, event }) => {
        if (machineKey.endsWith("/detect") && event.type === "TaskSucceeded") stopping ??= runner.abort({ by: "bob", reason: "duplicate", executionArns: [runner.engine.describeExecution(executionArn)!.parentExecutionId!] });
      },
    });
    await stopping;
    expect(second).toMatchObject({ status: "aborted", incidentId: pending.incidentId });
    expect(second.reportLocation).toBeUndefined();
    expect(records.get(pending.incidentId)!.closed).toBeUndefined();
    expect(incidents.incident(pending.incidentId)).toMatchObject({ status: "open" });
    // The run that opened it still closes it when it stops.
    await runner.abort({ by: "alice", reason: "wrong host" });
    expect(await first).toMatchObject({ status: "aborted", incidentId: pending.incidentId });
    expect(records.get(pending.incidentId)!.closed).toMatchObject({ status: "aborted", stopped: { by: "alice", reason: "wrong host" } });
    expect(incidents.incident(pending.incidentId)).toMatchObject({ status: "closed" });
  });

  it("a resolved incident is closed once, by post-incident, as before", async () => {
    const s = await scenario(GATED);
    const records = new MemoryIncidentRecordStore();
    const runner = await runnerFor(s, { records });
    const result = await runner.runIncident({ runbookId: GATED, event: s.event, approvals: "auto" });
    expect(result.status).toBe("resolved");
    const record = records.get(result.incidentId!)!;
    expect(record.timeline.filter((item) => item.kind === "incident.closed")).toHaveLength(1);
    expect(record.timeline.filter((item) => item.kind === "incident.closed" || item.kind === "report.written").map((item) => item.phase)).toEqual(["post-incident", "post-incident", "post-incident"]);
    expect(record.closed).toMatchObject({ status: "resolved" });
    expect(record.closed!.stopped).toBeUndefined();
  });
});
