import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../../functions/audit/audit-entry.js";
import { logAgainstStore, type StoreWitness } from "../../../workflows/local/store/log-against-store.js";

const entry = (seq: number, kind: string, body: Record<string, unknown> = {}): AuditEntry => ({ incidentId: "inc-20261124-0a1b2c3d4e5f", seq, at: "2026-11-24T12:00:00.000Z", kind, actor: "function:x", body, prevHash: "0".repeat(64), hash: "1".repeat(64) });
const open = { status: "open", opened_at: "2026-11-24T12:00:00.000Z", closed_at: null } as const;
const closed = { ...open, status: "closed", closed_at: "2026-11-24T12:05:00.000Z" } as const;
const witness = (incident: StoreWitness["incident"], endedExecutions: string[] = []): StoreWitness => ({ ...(incident ? { incident } : {}), endedExecutions });
const archived = (seq: number, executionArn: string) => entry(seq, "execution.archived", { executionArn });

describe("logAgainstStore", () => {
  it("finds nothing short when the log holds what the store records: an open incident, a closed one with its close, every ended execution's digest", () => {
    expect(logAgainstStore(witness(open), [entry(1, "incident.opened")])).toEqual({ problems: [] });
    expect(logAgainstStore(witness(closed, ["arn:a", "arn:b"]), [entry(1, "incident.opened"), archived(2, "arn:a"), entry(3, "incident.closed"), archived(4, "arn:b")])).toEqual({ problems: [] });
    expect(logAgainstStore(witness(undefined), [entry(1, "incident.opened")])).toEqual({ problems: [] });
    expect(logAgainstStore(witness(undefined), [])).toEqual({ problems: [] });
  });

  it("names the entries cut from the end of a closed incident's log, from the one after the last left", () => {
    expect(logAgainstStore(witness(closed), [entry(1, "incident.opened"), entry(2, "step.ran")])).toEqual({
      problems: [{ seq: 3, kind: "removed", message: "the incident store records this incident closed at 2026-11-24T12:05:00.000Z, but the log has no incident.closed entry: entries from 3 on were removed" }],
    });
  });

  it("names ended executions whose digest a digest-recording log lacks (the last ones come after the close), and asks nothing of logs that record none", () => {
    const cut = [entry(1, "incident.opened"), archived(2, "arn:detect"), entry(3, "incident.closed")];
    expect(logAgainstStore(witness(closed, ["arn:detect", "arn:post", "arn:incident"]), cut)).toEqual({
      problems: [{ seq: 4, kind: "removed", message: "the store holds 2 ended executions of this incident whose history digest the log does not record (arn:post, arn:incident): entries were removed from its end, or the run stopped before it recorded them" }],
    });
    // A log whose opening says it records digests is asked for them even when it holds none (cut back past the first).
    const opened = entry(1, "incident.opened", { historyDigests: true });
    expect(logAgainstStore(witness(open, ["arn:detect"]), [opened, entry(2, "phase.started")]).problems).toEqual([
      { seq: 3, kind: "removed", message: "the store holds an ended execution of this incident whose history digest the log does not record (arn:detect): entries were removed from its end, or the run stopped before it recorded them" },
    ]);
    // Written before digests were recorded: no execution.archived at all, so none is asked for.
    expect(logAgainstStore(witness(closed, ["arn:detect", "arn:post"]), [entry(1, "incident.opened"), entry(2, "incident.closed")])).toEqual({ problems: [] });
  });

  it("names a log deleted whole, saying a run that stopped before its first entry looks the same", () => {
    const [problem] = logAgainstStore(witness(open), []).problems;
    expect(problem).toMatchObject({ seq: 1, kind: "removed" });
    expect(problem!.message).toBe("the incident store holds this incident (opened 2026-11-24T12:00:00.000Z), but its audit log has no entry: the log was deleted, or its run stopped before it wrote the first one");
  });

  it("counts as in flight, not removed, what a live run still owes: the first entry of an incident it is opening, the digest of an execution that just ended", () => {
    const runner = { runnerId: "run-1", pid: 4242, hostname: "ws-7", startedAt: "2026-11-24T11:59:00.000Z", heartbeatMs: Date.parse("2026-11-24T12:00:01.000Z") };
    const opening = logAgainstStore({ ...witness(open), live: new Map([["arn:detect", runner]]) }, []);
    expect(opening).toEqual({ problems: [], inFlight: "its run is opening it and has not logged the first entry yet (pid 4242 on ws-7, last heartbeat 2026-11-24T12:00:01.000Z, alive)" });

    // Of two executions without a digest, the one whose runner is gone is reported; the live one's is in flight.
    const log = [entry(1, "incident.opened"), archived(2, "arn:detect"), entry(3, "incident.closed")];
    const checked = logAgainstStore({ ...witness(closed, ["arn:detect", "arn:post", "arn:incident"]), live: new Map([["arn:incident", runner]]) }, log);
    expect(checked.problems).toEqual([{ seq: 4, kind: "removed", message: "the store holds an ended execution of this incident whose history digest the log does not record (arn:post): entries were removed from its end, or the run stopped before it recorded them" }]);
    expect(checked.inFlight).toBe("its run has yet to log the history digest of an execution that just ended (arn:incident; pid 4242 on ws-7, last heartbeat 2026-11-24T12:00:01.000Z, alive)");
    // A live run does not excuse a missing close: the store's close comes after the log's.
    expect(logAgainstStore({ ...witness(closed), live: new Map([["arn:detect", runner]]) }, [entry(1, "incident.opened")]).problems).toMatchObject([{ seq: 2, kind: "removed" }]);
  });
});
