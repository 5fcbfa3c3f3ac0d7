import { describe, expect, it } from "vitest";
import { EvidenceMissing, type EvidenceReader } from "../../../functions/audit/evidence-reader.js";
import type { HistoryEvent } from "../../../workflows/local/history.js";
import { localHistoryLocation, storedHistoryDigest, StoredHistoryReader } from "../../../workflows/local/store/history-digest.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();
const ARN = "arn:aws:states:local:000000000000:execution:irflow-rb-contain:inc-1-contain";
const events: HistoryEvent[] = [
  { id: 1, previousEventId: 0, timestamp: "2026-11-24T12:00:00.000Z", type: "ExecutionStarted", details: { input: { ip: "203.0.113.77" }, stateMachineArn: "arn:sm" } },
  { id: 2, previousEventId: 1, timestamp: "2026-11-24T12:00:01.000Z", type: "TaskStateEntered", details: { name: "Block", input: { ip: "203.0.113.77" } } },
  { id: 3, previousEventId: 2, timestamp: "2026-11-24T12:00:02.000Z", type: "ExecutionSucceeded", details: { output: { ok: true } } },
];
const noFiles: EvidenceReader = { read: () => Promise.resolve(undefined) };

describe("stored history digest", () => {
  it("hashes an execution's rows in order; the same rows hash the same, an edited or deleted row does not", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    history.appendAll(ARN, events.slice(0, 2));
    history.appendAll(ARN, events.slice(2));
    const digest = storedHistoryDigest(database, ARN)!;
    expect(digest).toMatchObject({ events: 3, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(storedHistoryDigest(database, ARN)).toEqual(digest);
    const reader = new StoredHistoryReader(database, noFiles);
    await expect(reader.read(localHistoryLocation(ARN))).resolves.toEqual({ sha256: digest.sha256, sizeBytes: digest.sizeBytes });

    database.db.prepare("UPDATE history_chunks SET events = replace(events, '203.0.113.77', '198.51.100.9') WHERE execution_arn = ? AND first_id = 1").run(ARN);
    expect(storedHistoryDigest(database, ARN)!.sha256).not.toBe(digest.sha256);
    database.db.prepare("DELETE FROM history_chunks WHERE execution_arn = ?").run(ARN);
    expect(storedHistoryDigest(database, ARN)).toBeUndefined();
    await expect(reader.read(localHistoryLocation(ARN))).rejects.toBeInstanceOf(EvidenceMissing);
  });

  it("the writer's own digest, made as it stored the rows, is the one read back; kept only when it stored them all", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    history.appendAll(ARN, events.slice(0, 1));
    expect(history.takeDigest(ARN)).toBeUndefined();
    history.appendAll(ARN, events.slice(1));
    expect(history.takeDigest(ARN)).toEqual(storedHistoryDigest(database, ARN));
    expect(history.takeDigest(ARN)).toBeUndefined();

    // Another writer that picks an execution up part way stored only some of its rows: it has no digest.
    const OTHER = `${ARN}-2`;
    history.appendAll(OTHER, events.slice(0, 1));
    const later = new SqliteHistory(database);
    later.appendAll(OTHER, events.slice(1));
    expect(later.takeDigest(OTHER)).toBeUndefined();
    // A failed write forgets it.
    const THIRD = `${ARN}-3`;
    history.appendAll(THIRD, events);
    history.forget(THIRD);
    expect(history.takeDigest(THIRD)).toBeUndefined();
  });

  it("hands any other location to the next reader", async () => {
    const seen: string[] = [];
    const reader = new StoredHistoryReader(temp.fresh(), { read: (location) => (seen.push(location), Promise.resolve({ sha256: "a".repeat(64), sizeBytes: 1 })) });
    await expect(reader.read("/tmp/report.md")).resolves.toEqual({ sha256: "a".repeat(64), sizeBytes: 1 });
    expect(seen).toEqual(["/tmp/report.md"]);
  });
});
