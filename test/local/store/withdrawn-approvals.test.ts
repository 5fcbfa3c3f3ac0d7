/** Migration 9 and the withdrawn status: an approval closed because its incident was aborted, with who and why. */
import { describe, expect, it } from "vitest";
import { newApproval, type ApprovalView } from "../../../functions/approval/approval.js";
import { MemoryAbortRequests, type AbortRequestStore } from "../../../workflows/local/incident/abort-requests.js";
import { MemoryDeskStore, type DeskStore } from "../../../workflows/local/incident/desk-store.js";
import { EmbeddedDatabase, MIGRATIONS } from "../../../workflows/local/store/embedded-database.js";
import { SqliteAbortRequests } from "../../../workflows/local/store/sqlite-abort-requests.js";
import { SqliteApprovals } from "../../../workflows/local/store/sqlite-approvals.js";
import { at, request } from "../../functions/approval/fixtures.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();
const WITHDRAWN_VERSION = 9;

/** Every approvals column a version-8 file has, in the order it has them. */
const V8_COLUMNS = [
  "approval_id",
  "incident_id",
  "step_id",
  "status",
  "requested_at",
  "deadline",
  "deadline_ms",
  "decided_at",
  "decided_by",
  "comment",
  "approvers",
  "plan",
  "digest",
  "task_token",
  "record",
  "requester",
  "required_approvals",
  "votes",
  "vote_count",
  "reminded_at",
  "resumed_at",
];

const insertV8 = (database: EmbeddedDatabase, row: Record<string, unknown>) =>
  database.db.prepare(`INSERT INTO approvals (${Object.keys(row).join(", ")}) VALUES (${Object.keys(row).map((k) => `@${k}`).join(", ")})`).run(row);

function v8Row(id: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    approval_id: id,
    incident_id: "inc-1",
    step_id: "contain/isolate",
    status,
    requested_at: at(0).toISOString(),
    deadline: at(1800).toISOString(),
    deadline_ms: at(1800).getTime(),
    approvers: '["arn:aws:iam::*:role/IncidentLead"]',
    plan: "[]",
    digest: "ab".repeat(32),
    task_token: `token-${id}`,
    ...extra,
  };
}

const rowsOf = (database: EmbeddedDatabase) => database.db.prepare(`SELECT rowid AS row_id, ${V8_COLUMNS.join(", ")} FROM approvals ORDER BY rowid`).all();
const indexesOf = (database: EmbeddedDatabase, table: string) =>
  database.db
    .prepare<[string], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name")
    .all(table)
    .map((r) => r.name);

describe("migration 9: approvals may be withdrawn", () => {
  it("brings a version-8 file with approvals in every status forward with every row, value and index intact", () => {
    const dir = temp.dir();
    const old = EmbeddedDatabase.open({ dir }, MIGRATIONS.filter((m) => m.version < WITHDRAWN_VERSION));
    insertV8(old, v8Row("apr-pending", "pending", { record: '{"id":"apr-pending"}', requester: "event:aws.guardduty", reminded_at: at(1440).toISOString() }));
    insertV8(old, v8Row("apr-approved", "approved", { decided_at: at(60).toISOString(), decided_by: "alice, bob", comment: "ok | ok", required_approvals: 2, votes: '[{"by":"alice"},{"by":"bob"}]', vote_count: 2, resumed_at: at(61).toISOString() }));
    insertV8(old, v8Row("apr-rejected", "rejected", { decided_at: at(70).toISOString(), decided_by: "carol", comment: "wrong host", resumed_at: at(71).toISOString() }));
    insertV8(old, v8Row("apr-expired", "expired", { decided_at: at(1800).toISOString(), resumed_at: at(1800).toISOString() }));
    // A row of the first API (createPending): only version 1's columns, version 2's defaults.
    insertV8(old, v8Row("apr-legacy", "pending"));
    old.db.prepare("INSERT INTO abort_requests (request_id, incident_id, execution_arns, requested_by, requested_at, reason, taken_at, taken_by) VALUES ('abt-1', 'inc-1', '[]', 'bob', 'now', 'why', 'then', 'pid 1')").run();
    // Not a status a version-8 file takes.
    expect(() => insertV8(old, v8Row("apr-x", "withdrawn"))).toThrow(/CHECK constraint failed/);
    const before = rowsOf(old);
    const indexesBefore = indexesOf(old, "approvals");
    old.close();

    const upgraded = temp.open(dir);
    expect(upgraded.appliedMigrations().map((m) => m.version)).toContain(WITHDRAWN_VERSION);
    expect(rowsOf(upgraded)).toEqual(before);
    expect(indexesOf(upgraded, "approvals")).toEqual(indexesBefore);
    expect(indexesBefore).toEqual(["approvals_pending", "approvals_unresumed"]);
    expect(upgraded.db.prepare("SELECT withdrawn_by, withdrawn_reason FROM approvals WHERE withdrawn_by IS NOT NULL OR withdrawn_reason IS NOT NULL").all()).toEqual([]);
    expect(new SqliteAbortRequests(upgraded).get("abt-1")).toEqual({ id: "abt-1", incidentId: "inc-1", executionArns: [], requestedBy: "bob", requestedAt: "now", reason: "why", takenAt: "then", takenBy: "pid 1" });
    // The old rows still read as they did: the pending ones listed, the decided ones not.
    expect(new SqliteApprovals(upgraded).listPending().map((a) => a.approvalId)).toEqual(["apr-pending", "apr-legacy"]);
    expect(upgraded.db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  });

  it("keeps every default and constraint of versions 1 and 2, and takes 'withdrawn' only with who, why and when", () => {
    const database = temp.fresh();
    insertV8(database, v8Row("apr-defaults", "pending"));
    expect(database.db.prepare("SELECT required_approvals, votes, vote_count FROM approvals WHERE approval_id = 'apr-defaults'").get()).toEqual({ required_approvals: 1, votes: "[]", vote_count: 0 });
    expect(() => insertV8(database, v8Row("apr-defaults", "pending"))).toThrow(/UNIQUE/);
    expect(() => insertV8(database, v8Row("apr-3", "pending", { required_approvals: 3 }))).toThrow(/CHECK constraint failed/);
    expect(() => insertV8(database, v8Row("apr-odd", "cancelled"))).toThrow(/CHECK constraint failed/);
    expect(() => insertV8(database, { ...v8Row("apr-null", "pending"), incident_id: null })).toThrow(/NOT NULL/);
    expect(() => insertV8(database, v8Row("apr-w0", "withdrawn", { decided_at: at(5).toISOString(), withdrawn_reason: "why" }))).toThrow(/CHECK constraint failed/);
    insertV8(database, v8Row("apr-w1", "withdrawn", { decided_at: at(5).toISOString(), withdrawn_by: "bob", withdrawn_reason: "why" }));
    expect(new SqliteApprovals(database).get("apr-w1")).toMatchObject({ status: "withdrawn", decidedAt: at(5).toISOString(), withdrawnBy: "bob", withdrawnReason: "why" });
  });
});

const view = (id: string): ApprovalView => newApproval(request(), { id, requester: "event:aws.guardduty", now: at(0) });

const stores: [string, () => DeskStore][] = [
  ["memory", () => new MemoryDeskStore()],
  ["sqlite", () => new SqliteApprovals(temp.fresh())],
];

describe.each(stores)("markWithdrawn (%s desk store)", (_name, make) => {
  it("closes a pending approval with who, why and when; it is no longer pending and its token is never handed out", () => {
    const store = make();
    store.insert(view("apr-1"), "token-1");
    store.insert(view("apr-2"), "token-2");
    expect(store.markWithdrawn("apr-1", { at: at(30), by: "bob", reason: "wrong host" })).toBe(true);
    expect(store.view("apr-1")).toMatchObject({ status: "withdrawn", decidedAt: at(30).toISOString(), withdrawal: { by: "bob", reason: "wrong host", at: at(30).toISOString() } });
    expect(store.view("apr-2")).not.toHaveProperty("withdrawal");
    expect(store.pending().map((a) => a.id)).toEqual(["apr-2"]);
    expect(store.decidedUnresumed(["apr-1"])).toEqual([]);
    expect(store.claimResume("apr-1", at(31))).toBeUndefined();
    // Withdrawn once: a second withdrawal, a vote or a reminder changes nothing.
    expect(store.markWithdrawn("apr-1", { at: at(40), by: "carol", reason: "again" })).toBe(false);
    expect(store.vote("apr-1", { votes: [{ by: "alice", reason: "go", at: at(41).toISOString() }], expectedVotes: 0, decision: { status: "approved", at: at(41).toISOString() } }, at(41))).toBe(false);
    expect(store.markReminded("apr-1", at(42))).toBe(false);
    expect(store.view("apr-1")).toMatchObject({ status: "withdrawn", withdrawal: { by: "bob", reason: "wrong host" } });
  });

  // An answered one not yet resumed is withdrawn (its answer came too late): withdrawn-desk.test.ts.
  it("never touches an approval whose answer was resumed, an expired one, nor one that does not exist", () => {
    const store = make();
    store.insert(view("apr-approved"), "token-a");
    store.vote("apr-approved", { votes: [{ by: "alice", reason: "go", at: at(10).toISOString() }], expectedVotes: 0, decision: { status: "approved", at: at(10).toISOString() } }, at(10));
    expect(store.claimResume("apr-approved", at(11))).toBe("token-a");
    store.insert(view("apr-expired"), "token-e");
    store.markExpired("apr-expired", at(20));
    expect(store.markWithdrawn("apr-approved", { at: at(30), by: "bob", reason: "x" })).toBe(false);
    expect(store.markWithdrawn("apr-expired", { at: at(30), by: "bob", reason: "x" })).toBe(false);
    expect(store.markWithdrawn("apr-none", { at: at(30), by: "bob", reason: "x" })).toBe(false);
    expect(store.view("apr-approved")?.status).toBe("approved");
    expect(store.view("apr-expired")?.status).toBe("expired");
  });

  it("an expiry, forced or not, leaves a withdrawn approval withdrawn", () => {
    const store = make();
    store.insert(view("apr-1"), "token-1");
    store.markWithdrawn("apr-1", { at: at(30), by: "bob", reason: "wrong host" });
    expect(store.markExpired("apr-1", at(4000))).toBe(false);
    expect(store.markExpired("apr-1", at(4000), true)).toBe(false);
    expect(store.view("apr-1")).toMatchObject({ status: "withdrawn", decidedAt: at(30).toISOString() });
  });
});

describe("SqliteApprovals' sweep and decide with a withdrawn approval", () => {
  it("the expiry sweep passes it by, and an answer is told it was withdrawn, not expired or already decided", () => {
    const approvals = new SqliteApprovals(temp.fresh());
    approvals.insert(view("apr-1"), "token-1");
    approvals.insert(view("apr-2"), "token-2");
    approvals.markWithdrawn("apr-1", { at: at(30), by: "bob", reason: "wrong host" });
    expect(approvals.expire(at(4000)).map((e) => e.approval.approvalId)).toEqual(["apr-2"]);
    expect(approvals.get("apr-1")).toMatchObject({ status: "withdrawn", decidedAt: at(30).toISOString(), withdrawnBy: "bob", withdrawnReason: "wrong host" });
    expect(approvals.decide("apr-1", { outcome: "approved", by: "alice" }, { now: at(40) })).toMatchObject({ decided: false, reason: "withdrawn" });
  });
});

const abortStores: [string, () => AbortRequestStore][] = [
  ["memory", () => new MemoryAbortRequests()],
  ["sqlite", () => new SqliteAbortRequests(temp.fresh())],
];

describe.each(abortStores)("a given-back abort request (%s store)", (_name, make) => {
  it("records when, by which process and why; it reads as untaken again, and only its taker can give it back", () => {
    const store = make();
    store.insert({ id: "abt-1", executionArns: ["arn:x"], requestedBy: "bob", requestedAt: at(0).toISOString(), reason: "why" });
    expect(store.take("abt-1", at(1), "pid 1")).toBe(true);
    store.release("abt-1", "pid 2", { at: at(2), reason: "not mine" });
    expect(store.get("abt-1")).toMatchObject({ takenBy: "pid 1" });
    expect(store.get("abt-1")).not.toHaveProperty("failedAt");
    store.release("abt-1", "pid 1", { at: at(2), reason: "engine gone" });
    expect(store.get("abt-1")).toEqual({ id: "abt-1", executionArns: ["arn:x"], requestedBy: "bob", requestedAt: at(0).toISOString(), reason: "why", failedAt: at(2).toISOString(), failedBy: "pid 1", failedReason: "engine gone" });
    expect(store.untaken().map((r) => r.id)).toEqual(["abt-1"]);
    // Another process may still take it; the failure stays on record.
    expect(store.take("abt-1", at(3), "pid 3")).toBe(true);
    expect(store.get("abt-1")).toMatchObject({ takenBy: "pid 3", failedBy: "pid 1", failedReason: "engine gone" });
  });
});
