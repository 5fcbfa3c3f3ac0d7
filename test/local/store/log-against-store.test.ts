import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../../functions/audit/audit-entry.js";
import { logAgainstStore } from "../../../workflows/local/store/log-against-store.js";

const entry = (seq: number, kind: string): AuditEntry => ({ incidentId: "inc-20261124-0a1b2c3d4e5f", seq, at: "2026-11-24T12:00:00.000Z", kind, actor: "function:x", body: {}, prevHash: "0".repeat(64), hash: "1".repeat(64) });
const open = { incident_id: "inc-20261124-0a1b2c3d4e5f", status: "open", opened_at: "2026-11-24T12:00:00.000Z", closed_at: null } as const;
const closed = { ...open, status: "closed", closed_at: "2026-11-24T12:05:00.000Z" } as const;

describe("logAgainstStore", () => {
  it("finds nothing short when the log holds what the store records: an open incident, or a closed one with its close", () => {
    expect(logAgainstStore(open, [entry(1, "incident.opened")])).toEqual([]);
    expect(logAgainstStore(closed, [entry(1, "incident.opened"), entry(2, "incident.closed"), entry(3, "report.written")])).toEqual([]);
    expect(logAgainstStore(undefined, [entry(1, "incident.opened")])).toEqual([]);
    expect(logAgainstStore(undefined, [])).toEqual([]);
  });

  it("names the entries cut from the end of a closed incident's log, from the one after the last left", () => {
    expect(logAgainstStore(closed, [entry(1, "incident.opened"), entry(2, "step.ran")])).toEqual([
      { seq: 3, kind: "removed", message: "the incident store records this incident closed at 2026-11-24T12:05:00.000Z, but the log has no incident.closed entry: entries from 3 on were removed" },
    ]);
  });

  it("names a log deleted whole, saying a run that stopped before its first entry looks the same", () => {
    const [problem] = logAgainstStore(open, []);
    expect(problem).toMatchObject({ seq: 1, kind: "removed" });
    expect(problem!.message).toBe("the incident store holds this incident (opened 2026-11-24T12:00:00.000Z), but its audit log has no entry: the log was deleted, or its run stopped before it wrote the first one");
  });
});
