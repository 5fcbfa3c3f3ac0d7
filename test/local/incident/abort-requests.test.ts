/** `irflow abort`'s two halves: the request stored by one connection, carried out by the runner on another. */
import { hostname } from "node:os";
import { afterEach, describe, expect, it, vi } from "vitest";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { buildReport } from "../../../functions/audit/report/report-model.js";
import { ABORT_KIND, InvalidAbortRequest, requestAbort, type AbortRequest } from "../../../workflows/local/incident/abort-requests.js";
import { AbortWatch } from "../../../workflows/local/incident/abort-watch.js";
import { LocalIncidentRunner } from "../../../workflows/local/incident/local-incident-runner.js";
import type { LocalTask } from "../../../workflows/local/local-engine.js";
import { openLocalRuntime } from "../../../workflows/local/local-runtime.js";
import { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { SqliteAbortRequests } from "../../../workflows/local/store/sqlite-abort-requests.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { eventually as pollUntil } from "../machines.js";
import { NOW, scenario } from "./support.js";
import { tempDir as makeTempDir } from "../../support/temp-dir.js";

const RUNBOOK = "ssh-rdp-brute-force";
const INCIDENT = "inc-0123456789abcdef";
const ARN = "arn:aws:states:us-east-1:123456789012:execution:irflow-ssh-rdp-brute-force-incident:run-1";

const cleanup: (() => void)[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const step of cleanup.splice(0).reverse()) step();
});

/** Removed when the test finishes, after the afterEach above has closed what uses it. */
const tempDir = (): string => makeTempDir("irflow-abort-");

function connection(dir: string): EmbeddedDatabase {
  const database = EmbeddedDatabase.open({ dir });
  cleanup.push(() => database.close());
  return database;
}

/** The engine tests' poll, with room for a whole incident on a loaded machine. */
const eventually = <T>(read: () => T | undefined): Promise<T> => pollUntil(read, 10_000);

describe("abort requests in the embedded database", () => {
  it("stores who, when and why; a request is taken once, by the first process to take it", async () => {
    const dir = tempDir();
    const mine = connection(dir);
    const store = new SqliteAbortRequests(mine);
    const other = new SqliteAbortRequests(connection(dir));
    const audit = new SqliteAuditLog(mine);
    const request = requestAbort({ incidentId: INCIDENT, executionArns: [ARN], requestedBy: " alice ", reason: " wrong host " }, { store, audit, now: () => NOW, newId: () => "abt-1" });
    expect(request).toEqual({ id: "abt-1", incidentId: INCIDENT, executionArns: [ARN], requestedBy: "alice", requestedAt: NOW.toISOString(), reason: "wrong host" });
    expect(other.untaken()).toEqual([request]);

    expect(other.take("abt-1", NOW, "pid 1")).toBe(true);
    expect(store.take("abt-1", NOW, "pid 2")).toBe(false);
    expect(store.untaken()).toEqual([]);
    expect(store.get("abt-1")).toMatchObject({ takenAt: NOW.toISOString(), takenBy: "pid 1" });
    expect(store.get("abt-unknown")).toBeUndefined();

    const entries = audit.entriesNow(INCIDENT);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: ABORT_KIND.requested, actor: "alice", at: NOW.toISOString(), body: { requestId: "abt-1", executionArns: [ARN], reason: "wrong host" } });
  });

  it("refuses a request without a reason, a name, an execution, or with a malformed id, naming the field; nothing is stored", async () => {
    const dir = tempDir();
    const database = connection(dir);
    const store = new SqliteAbortRequests(database);
    const audit = new SqliteAuditLog(database);
    const valid = { incidentId: INCIDENT, executionArns: [ARN], requestedBy: "alice", reason: "why" };
    expect(() => requestAbort({ ...valid, reason: "   " }, { store, audit })).toThrow(/reason must say why/);
    expect(() => requestAbort({ ...valid, requestedBy: "" }, { store, audit })).toThrow(/requestedBy must name who asks/);
    expect(() => requestAbort({ ...valid, executionArns: [] }, { store, audit })).toThrow(/executionArns must name at least one/);
    expect(() => requestAbort({ ...valid, incidentId: "INC-1" }, { store, audit })).toThrow(/incidentId must be an irflow incident id/);
    expect(() => requestAbort({ ...valid, executionArns: ["arn:nope"] }, { store, audit })).toThrow(InvalidAbortRequest);
    expect(store.untaken()).toEqual([]);
    expect(audit.entriesNow(INCIDENT)).toEqual([]);
  });

  it("stores the request and its audit entry in one transaction: an entry that cannot be written leaves no request", () => {
    const dir = tempDir();
    const database = connection(dir);
    const store = new SqliteAbortRequests(database);
    const log = new SqliteAuditLog(database);
    const failing = {
      appendNow: (incidentId: string, entry: Parameters<SqliteAuditLog["appendNow"]>[1]) => {
        log.appendNow(incidentId, entry);
        throw new Error("disk full");
      },
    };
    expect(() => requestAbort({ incidentId: INCIDENT, executionArns: [ARN], requestedBy: "alice", reason: "why" }, { store, audit: failing, newId: () => "abt-x" })).toThrow(/disk full/);
    expect(store.get("abt-x")).toBeUndefined();
    expect(log.entriesNow(INCIDENT)).toEqual([]);
  });

  it("a watch reads only requests made since it started: one a killed run left behind is never read again", async () => {
    const dir = tempDir();
    const store = new SqliteAbortRequests(connection(dir));
    const old: AbortRequest = { id: "abt-old", executionArns: [ARN], requestedBy: "alice", requestedAt: "2020-01-01T00:00:00.000Z", reason: "stale" };
    const fresh: AbortRequest = { ...old, id: "abt-new", requestedAt: NOW.toISOString() };
    store.insert(old);
    store.insert(fresh);
    expect(store.untaken(NOW.toISOString()).map((r) => r.id)).toEqual(["abt-new"]);
    const looked: string[] = [];
    const watch = new AbortWatch({ store, since: NOW, serves: (r) => (looked.push(r.id), false), apply: () => Promise.resolve(), pollMs: 0 });
    await watch.poll();
    expect(looked).toEqual(["abt-new"]);
  });

  it("gives back a request it could not carry out, says so, and keeps watching for others", async () => {
    const dir = tempDir();
    const store = new SqliteAbortRequests(connection(dir));
    const first: AbortRequest = { id: "abt-1", executionArns: [ARN], requestedBy: "alice", requestedAt: NOW.toISOString(), reason: "why" };
    store.insert(first);
    const failures: string[] = [];
    const errors: unknown[] = [];
    const applied: string[] = [];
    const watch = new AbortWatch({
      store,
      since: NOW,
      serves: () => true,
      apply: (r) => (r.id === "abt-1" ? Promise.reject(new Error("engine gone")) : Promise.resolve(void applied.push(r.id))),
      onApplyError: (r, error) => failures.push(`${r.id}: ${String(error)}`),
      onError: (error) => errors.push(error),
      pollMs: 5,
    });
    watch.start();
    cleanup.push(() => watch.stop());
    await eventually(() => (failures.length > 0 ? failures : undefined));
    expect(failures).toEqual(["abt-1: Error: engine gone"]);
    expect(store.get("abt-1")?.takenAt).toBeUndefined();
    // Given back with why, for irflow abort to say (not "no process took it").
    expect(store.get("abt-1")).toMatchObject({ failedAt: expect.any(String), failedBy: `pid ${process.pid} on ${hostname()}`, failedReason: "engine gone" });
    store.insert({ ...first, id: "abt-2" });
    await eventually(() => (applied.length > 0 ? applied : undefined));
    expect(applied).toEqual(["abt-2"]);
    expect(store.get("abt-2")?.takenAt).toBeDefined();
    // Not tried again by the watch that failed it, and the watch never stopped.
    expect(failures).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("a watch leaves a request it does not serve for another process, and stops looking when the store fails", async () => {
    const dir = tempDir();
    const database = connection(dir);
    const store = new SqliteAbortRequests(database);
    const request: AbortRequest = { id: "abt-2", executionArns: [ARN], requestedBy: "alice", requestedAt: NOW.toISOString(), reason: "why" };
    store.insert(request);
    const applied: string[] = [];
    const watch = new AbortWatch({ store, serves: () => false, apply: (r) => Promise.resolve(void applied.push(r.id)), pollMs: 0 });
    await watch.poll();
    expect(store.get("abt-2")?.takenAt).toBeUndefined();
    expect(applied).toEqual([]);

    const errors: unknown[] = [];
    const failing = new AbortWatch({ store, serves: () => true, apply: () => Promise.resolve(), pollMs: 5, onError: (error) => errors.push(error) });
    database.close();
    failing.start();
    await eventually(() => (errors.length > 0 ? errors : undefined));
    expect(String(errors[0])).toMatch(/database connection is not open/);
  });
});

/**
 * A brute-force incident on a runtime over a fresh file, stalled in its contain phase: the action
 * hangs until its signal fires, as a slow AWS call would. Resolves once the action is running.
 */
async function stalledInContain(abortPollMs: number) {
  const dir = tempDir();
  let seen: AbortSignal | undefined;
  type TaskLookup = { taskFor: (this: unknown, name: string) => LocalTask | undefined };
  const prototype = LocalIncidentRunner.prototype as unknown as TaskLookup;
  const real = prototype.taskFor;
  vi.spyOn(prototype, "taskFor").mockImplementation(function (this: unknown, name: string) {
    if (name !== "ec2.block-ip") return real.call(this, name);
    return (_payload, signal) => {
      seen = signal;
      return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("stopped")), { once: true }));
    };
  });
  const s = await scenario(RUNBOOK);
  const runtime = await openLocalRuntime({ dir, account: s.account, runbookIds: [RUNBOOK], clock: { now: () => new Date() }, retryDelayScale: 0, reportsDirectory: tempDir(), approvalSweepMs: 0, abortPollMs });
  cleanup.push(() => runtime.close());
  const run = runtime.runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "auto" });
  const signal = await eventually(() => seen);
  return { dir, runtime, run, signal };
}

describe("the runner takes a request written by another connection", { timeout: 60_000 }, () => {
  it("aborts the incident's running executions with who and why, tells the running handler, and audits both sides", async () => {
    const { dir, run, signal } = await stalledInContain(10);
    expect(signal.aborted).toBe(false);

    // The responder's side: another connection to the same file, as `irflow abort` opens.
    const other = connection(dir);
    const history = new SqliteHistory(other);
    const running = await eventually(() => {
      const found = history.list({ status: "RUNNING" }).filter((e) => e.incidentId !== undefined);
      return found.length === 2 ? found : undefined;
    });
    const incidentId = running[0]!.incidentId!;
    const store = new SqliteAbortRequests(other);
    const request = requestAbort({ incidentId, executionArns: running.map((e) => e.executionArn), requestedBy: "bob", reason: "the address is our scanner" }, { store, audit: new SqliteAuditLog(other) });

    const result = await run;
    expect(result).toMatchObject({ status: "aborted", incidentId });
    expect(signal.aborted).toBe(true);
    expect(store.get(request.id)?.takenBy).toMatch(/^pid \d+ on /);

    const cause = "aborted by bob: the address is our scanner";
    for (const execution of running) {
      expect(history.list({ incidentId }).find((e) => e.executionArn === execution.executionArn)?.status).toBe("ABORTED");
      expect(history.events(execution.executionArn).at(-1)).toMatchObject({ type: "ExecutionAborted", details: { cause } });
    }
    const entries = new SqliteAuditLog(other).entriesNow(incidentId);
    const requested = entries.find((e) => e.kind === ABORT_KIND.requested);
    const applied = entries.find((e) => e.kind === ABORT_KIND.applied);
    expect(requested).toMatchObject({ actor: "bob", body: { requestId: request.id, reason: "the address is our scanner" } });
    expect(applied).toMatchObject({ body: { requestId: request.id, requestedBy: "bob", reason: "the address is our scanner" } });
    expect((applied!.body.executionArns as string[]).sort()).toEqual(running.map((e) => e.executionArn).sort());
    // The request is in the chain before the run that took it says it applied it.
    expect(requested!.seq).toBeLessThan(applied!.seq);
    // The phase's end comes after the entry that says who stopped it.
    const containEnd = entries.find((e) => e.kind === "phase.ended" && e.body.phase === "contain");
    expect(containEnd).toMatchObject({ body: { status: "ABORTED", cause } });
    expect(containEnd!.seq).toBeGreaterThan(applied!.seq);
    // The timeline (irflow history, the report) says who stopped it and why.
    const { timeline, unreadable } = projectRecord(incidentId, entries);
    expect(unreadable).toEqual([]);
    expect(timeline.filter((item) => item.kind.startsWith("abort."))).toEqual([
      expect.objectContaining({ actor: "bob", what: `abort of ${running.length} executions requested: the address is our scanner` }),
      expect.objectContaining({ what: `${running.length} executions aborted, asked by bob: the address is our scanner` }),
    ]);
  });

  it("a request naming one phase stops only that phase: the incident still runs post-incident, then ends FAILED", async () => {
    const { dir, run } = await stalledInContain(10);
    const other = connection(dir);
    const history = new SqliteHistory(other);
    const contain = await eventually(() => history.list({ status: "RUNNING" }).find((e) => e.machine?.endsWith("-contain")));
    requestAbort({ incidentId: contain.incidentId!, executionArns: [contain.executionArn], requestedBy: "bob", reason: "only contain" }, { store: new SqliteAbortRequests(other), audit: new SqliteAuditLog(other) });

    const result = await run;
    expect(result.status).toBe("failed");
    const statuses = Object.fromEntries(history.list({ incidentId: contain.incidentId! }).map((e) => [e.machine, e.status]));
    expect(statuses).toMatchObject({ [`irflow-${RUNBOOK}-incident`]: "FAILED", [`irflow-${RUNBOOK}-contain`]: "ABORTED", [`irflow-${RUNBOOK}-post-incident`]: "SUCCEEDED" });
    expect(history.events(contain.executionArn).at(-1)).toMatchObject({ type: "ExecutionAborted", details: { cause: "aborted by bob: only contain" } });
  });

  it("does not take a request naming only executions that have ended (they are still in the incident's family); LocalEngine.running has only running ones", async () => {
    const { dir, run, runtime } = await stalledInContain(5);
    const { runner } = runtime;
    const other = connection(dir);
    const history = new SqliteHistory(other);
    const contain = await eventually(() => history.list({ status: "RUNNING" }).find((e) => e.machine?.endsWith("-contain")));
    const detect = history.list({ incidentId: contain.incidentId! }).find((e) => e.machine?.endsWith("-detect"))!;
    expect(detect.status).toBe("SUCCEEDED");
    expect(runner.engine.running(contain.executionArn)?.executionArn).toBe(contain.executionArn);
    expect(runner.engine.running(detect.executionArn)).toBeUndefined();
    expect(runner.engine.running(ARN)).toBeUndefined();

    const store = new SqliteAbortRequests(other);
    const request = requestAbort({ incidentId: contain.incidentId!, executionArns: [detect.executionArn], requestedBy: "bob", reason: "too late" }, { store, audit: new SqliteAuditLog(other) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.get(request.id)?.takenAt).toBeUndefined();
    expect(new SqliteAuditLog(other).entriesNow(contain.incidentId!).some((e) => e.kind === ABORT_KIND.applied)).toBe(false);

    await runner.abort({ by: "alice", reason: "done" });
    expect((await run).status).toBe("aborted");
    expect(runner.engine.running(contain.executionArn)).toBeUndefined();
  });

  it("an approval waiting when its execution is aborted is withdrawn with who and why (store, log, timeline, report), not expired", async () => {
    const dir = tempDir();
    const gated = "iam-access-key-compromise";
    const s = await scenario(gated);
    const runtime = await openLocalRuntime({ dir, account: s.account, runbookIds: [gated], clock: { now: () => new Date() }, retryDelayScale: 0, reportsDirectory: tempDir(), approvalSweepMs: 0 });
    cleanup.push(() => runtime.close());
    const { runner } = runtime;
    const run = runner.runIncident({ runbookId: gated, event: s.event, approvals: "manual" });
    let pending: Awaited<ReturnType<typeof runner.approvals.list>>[number] | undefined;
    for (let tries = 0; !pending && tries < 1000; tries++) {
      [pending] = await runner.approvals.list();
      if (!pending) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Past the desk's poll interval once the wait has closed: a look would have expired it by then.
    const stopped = await runner.abort({ by: "alice", reason: "wrong host" });
    expect(stopped).toContain(pending!.executionId);
    expect((await run).status).toBe("aborted");
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await runner.approvals.list()).toEqual([]);
    const entries = new SqliteAuditLog(connection(dir)).entriesNow(pending!.incidentId);
    const kinds = entries.map((e) => e.kind);
    expect(kinds).toContain(ABORT_KIND.applied);
    expect(kinds).not.toContain("approval.expired");
    expect(await runner.approvals.get(pending!.id)).toMatchObject({ status: "withdrawn", withdrawal: { by: "alice", reason: "wrong host" } });
    const withdrawn = entries.filter((e) => e.kind === "approval.withdrawn");
    expect(withdrawn).toEqual([expect.objectContaining({ actor: "system:irflow-local", body: expect.objectContaining({ approvalId: pending!.id, stepId: pending!.stepId, by: "alice", reason: "wrong host" }) })]);
    // In the log as the abort ordered it: who stopped the executions, the approval withdrawn, then the phase's end.
    const seqOf = (predicate: (e: (typeof entries)[number]) => boolean) => entries.find(predicate)!.seq;
    const applied = seqOf((e) => e.kind === ABORT_KIND.applied);
    const containEnd = seqOf((e) => e.kind === "phase.ended" && e.body.phase === "contain");
    expect(applied).toBeLessThan(withdrawn[0]!.seq);
    expect(withdrawn[0]!.seq).toBeLessThan(containEnd);
    // The timeline (irflow history) and the report's approvals and steps say withdrawn, by whom and why.
    const record = projectRecord(pending!.incidentId, entries);
    expect(record.unreadable).toEqual([]);
    expect(record.timeline.find((item) => item.kind === "approval.withdrawn")).toMatchObject({ what: `${pending!.stepId} withdrawn: the incident was aborted by alice: wrong host` });
    const report = buildReport(record, new Date());
    expect(report.approvals).toEqual([expect.objectContaining({ stepId: pending!.stepId, decision: "withdrawn", by: ["alice"], reason: "wrong host" })]);
    expect(report.steps.find((step) => step.stepId === pending!.stepId)).toMatchObject({ outcome: "withdrawn", summary: "withdrawn: the incident was aborted by alice: wrong host" });
  });

  it("stops everything it runs on the run's own interrupt (no stored request)", async () => {
    const dir = tempDir();
    const s = await scenario(RUNBOOK);
    const runtime = await openLocalRuntime({ dir, account: s.account, runbookIds: [RUNBOOK], clock: { now: () => new Date() }, retryDelayScale: 0, reportsDirectory: tempDir(), approvalSweepMs: 0 });
    cleanup.push(() => runtime.close());
    const { runner } = runtime;
    let stopping: Promise<string[]> | undefined;
    const result = await runner.runIncident({
      runbookId: RUNBOOK,
      event: s.event,
      approvals: "auto",
      onEvent: ({ machineKey, event }) => {
        if (machineKey.endsWith("/contain") && event.type === "ExecutionStarted") stopping ??= runner.abort({ by: "alice", reason: "interrupted (SIGINT)" });
      },
    });
    expect(result.status).toBe("aborted");
    const stopped = await stopping!;
    expect(stopped).toHaveLength(2);
    expect(stopped.at(-1)).toBe(result.executionArn);
    const history = new SqliteHistory(connection(dir));
    expect(history.list({ status: "RUNNING" })).toEqual([]);
    expect(history.events(result.executionArn).at(-1)).toMatchObject({ type: "ExecutionAborted", details: { cause: "aborted by alice: interrupted (SIGINT)" } });
    expect(await runner.abort({ by: "alice", reason: "again" })).toEqual([]);
  });
});
