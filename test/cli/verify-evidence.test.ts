/**
 * `irflow verify` on local incidents: the evidence it cannot re-hash is named with why, and the
 * reports the run wrote under the state folder are re-hashed.
 */
import { appendFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteRunners } from "../../workflows/local/store/sqlite-runners.js";
import { storeWithIncidents } from "../local/incident/support.js";
import { irflow } from "../support/irflow-cli.js";
import { copyOfStore } from "../support/store-reads.js";

const TIMEOUT = 120_000;
let dir = "";
let db = "";
let incidentId = "";
let compromised = "";

beforeAll(async () => {
  ({ dir, db, incidentIds: [incidentId = "", compromised = ""] } = await storeWithIncidents("irflow-cli-verify-evidence-", ["ssh-rdp-brute-force", "ec2-instance-compromise"]));
}, 60_000);

describe("irflow verify: evidence and reports", () => {
  it("names the evidence out of reach (a memory image in S3) and lists what was recorded by id alone (snapshots), each with its entry", async () => {
    const run = await irflow("verify", compromised, "--db", db);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^intact\\s+${compromised}  \\d+ entries, head [0-9a-f]{16}; evidence: 7 re-hashed intact, 1 not reachable from here, 2 recorded without a hash; reports: 2 re-hashed intact$`, "m"));
    expect(run.stdout).toMatch(/^ {2}not reachable: ec2-instance-memory s3:\/\/\S+ \(entry \d+\): an object in the S3 bucket \S+ in the account the run acted on; a local run's account is simulated and gone when the run ends$/m);
    expect(run.stdout.match(/^ {2}no hash: ec2-instance-disk snap-[0-9a-f]+ \(entry \d+\): recorded by its id, with nothing to re-hash$/gm)).toHaveLength(2);
  }, TIMEOUT);

  it("names each item it cannot re-hash and why, re-hashes the reports; an edited report fails, a deleted one is only reported", async () => {
    const ok = await irflow("verify", incidentId, "--db", db);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^intact\\s+${incidentId}  \\d+ entries, head [0-9a-f]{16}; evidence: 7 re-hashed intact, 0 not reachable from here; reports: 2 re-hashed intact$`, "m"));
    // The instance description is hashed from the step's own output, which the log holds: re-hashed, not out of reach.
    expect(ok.stdout).not.toContain("not reachable:");
    const json = JSON.parse((await irflow("verify", incidentId, "--db", db, "--json")).stdout) as { evidence: { kind?: string; location: string; status: string }[]; reports: { format: string; status: string }[] }[];
    // The instance description, and the history of each of the incident's executions (detect, the
    // three phases between, post-incident and the incident machine), as stored.
    expect(json[0]!.evidence.map((e) => [e.kind, e.status])).toEqual([["ec2-instance-metadata", "intact"], ...Array.from({ length: 6 }, () => ["execution-history", "intact"])]);
    const executions = JSON.parse((await irflow("executions", "--incident", incidentId, "--db", db, "--json")).stdout) as { executionArn: string }[];
    const archived = json[0]!.evidence.filter((e) => e.kind === "execution-history").map((e) => e.location);
    expect(archived.sort()).toEqual(executions.map((e) => `irflow-history:${e.executionArn}`).sort());
    expect(json[0]!.reports.map((r) => [r.format, r.status])).toEqual([["md", "intact"], ["html", "intact"]]);

    rmSync(join(dir, "reports", `${incidentId}.html`));
    const deleted = await irflow("verify", incidentId, "--db", db);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain("reports: 1 re-hashed intact, 1 not found");
    expect(deleted.stdout).toContain(`report not found: html ${join(dir, "reports", `${incidentId}.html`)} (entry `);

    appendFileSync(join(dir, "reports", `${incidentId}.md`), "\nall fine, nothing happened\n");
    const edited = await irflow("verify", incidentId, "--db", db);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(new RegExp(`^ {2}entry \\d+: evidence: the md report ${join(dir, "reports", incidentId)}\\.md recorded in entry \\d+ has changed since it was written`, "m"));
  }, TIMEOUT);

  it("an execution history edited or deleted in the store after its run fails verify, naming the entry that recorded its digest", async () => {
    const database = EmbeddedDatabase.open({ path: db });
    const contain = database.db.prepare<[], { execution_arn: string }>("SELECT DISTINCT execution_arn FROM history_chunks WHERE execution_arn LIKE '%-contain:%'").all();
    const target = contain.find((row) => row.execution_arn.includes(compromised))!.execution_arn;
    database.db.prepare("UPDATE history_chunks SET events = replace(events, 'TaskSucceeded', 'TaskFailed') WHERE execution_arn = ?").run(target);
    const eradicate = target.replace("-contain:", "-eradicate:").replace("-contain", "-eradicate");
    database.db.prepare("DELETE FROM history_chunks WHERE execution_arn = ?").run(eradicate);
    database.close();
    const run = await irflow("verify", compromised, "--db", db);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`TAMPERED  ${compromised}`);
    expect(run.stdout).toMatch(new RegExp(`^ {2}entry \\d+: evidence: evidence irflow-history:${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} recorded in entry \\d+ has changed`, "m"));
    expect(run.stdout).toContain(`evidence irflow-history:${eradicate} recorded in entry`);
    expect(run.stdout).toContain(`is missing: the store holds no history of ${eradicate}`);
  }, TIMEOUT);

  it("a log whose last digests were cut off (they come after the close) fails verify, and report and history say so too", async () => {
    const copy = copyOfStore(db, "irflow-cli-verify-cut-");
    const database = EmbeddedDatabase.open({ path: copy });
    const closedAt = database.db.prepare<[string], { seq: number }>("SELECT seq FROM audit_log WHERE incident_id = ? AND kind = 'incident.closed'").get(incidentId)!.seq;
    const cut = database.db.prepare("DELETE FROM audit_log WHERE incident_id = ? AND seq > ? AND kind = 'execution.archived'").run(incidentId, closedAt).changes;
    database.db.prepare("UPDATE history_chunks SET events = replace(events, 'Archive the finding', 'Skipped the finding') WHERE execution_arn LIKE '%-post-incident:%'").run();
    database.close();
    expect(cut).toBeGreaterThan(0);

    const verify = await irflow("verify", incidentId, "--db", copy);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(new RegExp(`entry \\d+: removed: the store holds (an ended execution|${cut} ended executions) of this incident whose history digest the log does not record \\(.*-post-incident:`));
    const report = await irflow("report", incidentId, "--db", copy);
    expect(report.code).toBe(1);
    expect(report.stderr).toMatch(/fails verification \(entry \d+: removed\)/);
    const history = await irflow("history", incidentId, "--db", copy);
    expect(history.code).toBe(1);
    expect(history.stderr).toMatch(/warning: the audit log of \S+ fails verification \(entry \d+: removed\)/);

    // Cut back past its first digest, so that it holds none: its opening says it records them, so they are still asked for.
    const pastFirst = copyOfStore(db, "irflow-cli-verify-cut-all-");
    const cutAll = EmbeddedDatabase.open({ path: pastFirst });
    const first = cutAll.db.prepare<[string], { seq: number }>("SELECT min(seq) AS seq FROM audit_log WHERE incident_id = ? AND kind = 'execution.archived'").get(incidentId)!.seq;
    cutAll.db.prepare("DELETE FROM audit_log WHERE incident_id = ? AND seq >= ?").run(incidentId, first);
    cutAll.close();
    const none = await irflow("verify", incidentId, "--db", pastFirst);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(new RegExp(`entry ${first}: removed: the store holds \\d+ ended executions of this incident whose history digest the log does not record`));
  }, TIMEOUT);

  it("what a live run has yet to log just now (a digest just after its execution ended, the first entry of an incident it is opening) is in flight, not removed; owed for long, or once its process is gone, it is removed", async () => {
    // A store of its own: the tests above tamper with the shared one's reports and histories.
    const own = await storeWithIncidents("irflow-cli-verify-in-flight-", ["ssh-rdp-brute-force"]);
    const [incidentId = ""] = own.incidentIds;
    // This test's own process stands for the run: alive (its pid exists, its heartbeat is fresh) until the row says it ended.
    const owedBy = (copy: string, arns: "ended-after-close" | "opening") => {
      const database = EmbeddedDatabase.open({ path: copy });
      try {
        new SqliteRunners(database).register({ runnerId: "run-live", pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), heartbeatMs: Date.now() });
        if (arns === "opening") {
          database.db.prepare("DELETE FROM audit_log WHERE incident_id = ?").run(incidentId);
          database.db.prepare("UPDATE incidents SET status = 'open', closed_at = NULL, opened_at = ? WHERE incident_id = ?").run(new Date().toISOString(), incidentId);
          database.db.prepare("UPDATE executions SET runner_id = 'run-live' WHERE execution_arn IN (SELECT execution_id FROM occurrences WHERE incident_id = ?)").run(incidentId);
          return [];
        }
        const closedAt = database.db.prepare<[string], { seq: number }>("SELECT seq FROM audit_log WHERE incident_id = ? AND kind = 'incident.closed'").get(incidentId)!.seq;
        const owed = database.db
          .prepare<[string, number], { arn: string }>("SELECT json_extract(body, '$.executionArn') AS arn FROM audit_log WHERE incident_id = ? AND seq > ? AND kind = 'execution.archived'")
          .all(incidentId, closedAt)
          .map((row) => row.arn);
        database.db.prepare("DELETE FROM audit_log WHERE incident_id = ? AND seq > ? AND kind = 'execution.archived'").run(incidentId, closedAt);
        // They ended just now (the run's clock was fixed in the past).
        for (const arn of owed) database.db.prepare("UPDATE executions SET runner_id = 'run-live', stopped_at = ? WHERE execution_arn = ?").run(new Date().toISOString(), arn);
        return owed;
      } finally {
        database.close();
      }
    };
    const runnerEnds = (copy: string) => {
      const database = EmbeddedDatabase.open({ path: copy });
      new SqliteRunners(database).end("run-live", new Date());
      database.close();
    };

    const digests = copyOfStore(own.db, "irflow-cli-verify-in-flight-");
    const owed = owedBy(digests, "ended-after-close");
    expect(owed.length).toBeGreaterThan(0);
    const inFlight = await irflow("verify", incidentId, "--db", digests);
    expect(inFlight.code).toBe(0);
    expect(inFlight.stdout).toMatch(new RegExp(`^intact\\s+${incidentId}  `, "m"));
    expect(inFlight.stdout).toContain(`in flight: its run has yet to log the history digest of ${owed.length === 1 ? "an execution" : `${owed.length} executions`} that just ended (`);
    for (const arn of owed) expect(inFlight.stdout).toContain(arn);
    expect(inFlight.stdout).toMatch(new RegExp(`; pid ${process.pid} on ${hostname()}, last heartbeat \\S+, alive\\): verify again once it ends$`, "m"));
    const json = JSON.parse((await irflow("verify", incidentId, "--db", digests, "--json")).stdout) as { ok: boolean; inFlight?: string }[];
    // Ended long ago, with its run still alive (waiting at a later approval, say): a digest owed that long is not being written.
    const stale = copyOfStore(digests, "irflow-cli-verify-owed-long-");
    const staleDb = EmbeddedDatabase.open({ path: stale });
    staleDb.db.prepare("UPDATE executions SET stopped_at = '2026-11-24T12:00:00.000Z' WHERE runner_id = 'run-live'").run();
    staleDb.close();
    const owedLong = await irflow("verify", incidentId, "--db", stale);
    expect(owedLong.code).toBe(1);
    expect(owedLong.stdout).toMatch(/entry \d+: removed: the store holds (an ended execution|\d+ ended executions) of this incident whose history digest the log does not record/);
    expect(owedLong.stdout).not.toContain("in flight");
    expect(json[0]).toMatchObject({ ok: true, inFlight: expect.stringContaining("has yet to log the history digest") });
    // report and history see nothing wrong either.
    expect((await irflow("history", incidentId, "--db", digests)).code).toBe(0);
    runnerEnds(digests);
    const gone = await irflow("verify", incidentId, "--db", digests);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toMatch(/entry \d+: removed: the store holds (an ended execution|\d+ ended executions) of this incident whose history digest the log does not record/);
    expect(gone.stdout).not.toContain("in flight");

    const opening = copyOfStore(own.db, "irflow-cli-verify-opening-");
    owedBy(opening, "opening");
    const beingOpened = await irflow("verify", incidentId, "--db", opening);
    expect(beingOpened.code).toBe(0);
    expect(beingOpened.stdout).toMatch(new RegExp(`^intact\\s+${incidentId}  0 entries`, "m"));
    expect(beingOpened.stdout).toContain(`in flight: its run is opening it and has not logged the first entry yet (pid ${process.pid} on ${hostname()}`);
    // Opened long ago: a log that is not there is not being written, live run or not.
    const openedLong = copyOfStore(opening, "irflow-cli-verify-opened-long-");
    const openedLongDb = EmbeddedDatabase.open({ path: openedLong });
    openedLongDb.db.prepare("UPDATE incidents SET opened_at = '2026-11-24T12:00:00.000Z' WHERE incident_id = ?").run(incidentId);
    openedLongDb.close();
    const longGone = await irflow("verify", incidentId, "--db", openedLong);
    expect(longGone.code).toBe(1);
    expect(longGone.stdout).toContain("entry 1: removed: the incident store holds this incident (opened ");
    runnerEnds(opening);
    const deleted = await irflow("verify", incidentId, "--db", opening);
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toContain("entry 1: removed: the incident store holds this incident (opened ");
  }, TIMEOUT);
});
