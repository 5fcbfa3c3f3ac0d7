import { describe, expect, it } from "vitest";
import { entryHash, hashAt, sealPrefixWith } from "../../../functions/audit/audit-entry.js";
import { canonicalJson } from "../../../functions/audit/canonical-json.js";
import { MemoryAuditLog } from "../../../functions/audit/memory-audit-log.js";
import { storedEntry, unreadBodyJson } from "../../../functions/audit/stored-entry.js";
import { verifyChain, verifyLinks } from "../../../functions/audit/verify-chain.js";
import type { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { useTempDatabases } from "../store/support.js";

const ID = "inc-20261124-0123456789ab";
const at = (n: number) => new Date(Date.UTC(2026, 10, 24, 12, 0, n)).toISOString();
const temp = useTempDatabases();

/** Six entries; the bodies' keys are built out of order and include integer-like keys, whose order JSON.parse changes. */
function filled(): { database: EmbeddedDatabase; log: SqliteAuditLog } {
  const database = temp.fresh();
  const log = new SqliteAuditLog(database);
  for (let n = 1; n <= 6; n++) {
    log.appendNow(ID, { kind: "step.ran", actor: `function:task-${n}`, at: at(n), body: { stepId: `contain/step-${n}`, n, "10": "ten", "9": "nine", record: { summary: `say "done"\n${n} 😀`, evidence: [{ location: `s3://evidence/${n}`, sha256: "a".repeat(64) }] } } });
  }
  return { database, log };
}

const body = (database: EmbeddedDatabase, seq: number): string => database.db.prepare<[string, number], { body: string }>("SELECT body FROM audit_log WHERE incident_id = ? AND seq = ?").get(ID, seq)!.body;
const setBody = (database: EmbeddedDatabase, seq: number, text: string) => database.db.prepare("UPDATE audit_log SET body = ? WHERE incident_id = ? AND seq = ?").run(text, ID, seq);
const setHash = (database: EmbeddedDatabase, seq: number, hash: string) => database.db.prepare("UPDATE audit_log SET hash = ? WHERE incident_id = ? AND seq = ?").run(hash, ID, seq);

describe("stored entries: the body stays text until read", () => {
  it("an entry reads, spreads, serialises and clones as an ordinary entry", () => {
    const entry = storedEntry({ incidentId: ID, seq: 1, at: at(1), kind: "x.y", actor: "a", prevHash: "0".repeat(64), hash: "f".repeat(64) }, '{"a":1}', (text) => JSON.parse(text) as Record<string, unknown>);
    expect(Object.keys(entry)).toEqual(["incidentId", "seq", "at", "kind", "actor", "body", "prevHash", "hash"]);
    expect(unreadBodyJson(entry)).toBe('{"a":1}');
    const plain = { incidentId: ID, seq: 1, at: at(1), kind: "x.y", actor: "a", body: { a: 1 }, prevHash: "0".repeat(64), hash: "f".repeat(64) };
    expect(JSON.parse(JSON.stringify(entry))).toEqual(plain);
    expect(structuredClone(entry)).toEqual(plain);
    expect({ ...entry }).toEqual(plain);
    // Once read, the text is no longer vouched for: the caller holds the object and may change it.
    expect(unreadBodyJson(entry)).toBeUndefined();
  });

  it("replacing the body also withdraws the text", () => {
    const entry = storedEntry({ incidentId: ID, seq: 1, at: at(1), kind: "x.y", actor: "a", prevHash: "0".repeat(64), hash: "f".repeat(64) }, '{"a":1}', (text) => JSON.parse(text) as Record<string, unknown>);
    entry.body = { a: 2 };
    expect(unreadBodyJson(entry)).toBeUndefined();
    expect(entry.body).toEqual({ a: 2 });
    expect(unreadBodyJson({ body: {} })).toBeUndefined();
  });

  it("a reader changing an entry it read does not change the log (memory and SQLite)", async () => {
    const memory = new MemoryAuditLog();
    await memory.append(ID, { kind: "x.y", actor: "a", at: at(1), body: { n: 1 } });
    // In memory the one parsed body is shared, frozen: changing it fails loudly instead of changing the log.
    expect(() => {
      (memory.entriesNow(ID)[0]!.body as { n: number }).n = 99;
    }).toThrow(TypeError);
    expect(memory.entriesNow(ID)[0]!.body).toEqual({ n: 1 });
    expect(verifyLinks(ID, memory.entriesNow(ID)).ok).toBe(true);
    const { log } = filled();
    (log.entriesNow(ID)[0]!.body as { n: number }).n = 99;
    expect(log.entriesNow(ID)[0]!.body).toMatchObject({ n: 1 });
  });
});

describe("SQLite: verification hashes the stored text only once it is proved canonical", () => {
  it("stores the very text the hash covers, so an intact log verifies straight from it", () => {
    const { database, log } = filled();
    const entries = log.entriesNow(ID);
    expect(body(database, 3)).toBe(canonicalJson(entries[2]!.body));
    const fresh = log.entriesNow(ID);
    expect(fresh.every((entry) => typeof unreadBodyJson(entry) === "string")).toBe(true);
    expect(verifyLinks(ID, fresh)).toMatchObject({ ok: true, problems: [], entries: 6 });
  });

  it("the same verdict whether or not the bodies were read first", async () => {
    const { database, log } = filled();
    setBody(database, 4, body(database, 4).replace('"n":4', '"n":40'));
    const unread = verifyLinks(ID, log.entriesNow(ID));
    const read = log.entriesNow(ID);
    for (const entry of read) void entry.body;
    expect(verifyLinks(ID, read).problems).toEqual(unread.problems);
    expect(unread.problems).toEqual([expect.objectContaining({ seq: 4, kind: "edited" })]);
    // verifyChain reads the bodies for their evidence, after hashing them.
    expect((await verifyChain(ID, log.entriesNow(ID))).problems).toEqual(unread.problems);
  });

  it("a body rewritten to an equivalent but non-canonical text still verifies, as when it was parsed and re-serialised", () => {
    const { database, log } = filled();
    const original = JSON.parse(body(database, 2)) as Record<string, unknown>;
    // What a JSON tool rewriting the row would leave: whitespace, and JSON.parse's integer-first key order.
    setBody(database, 2, JSON.stringify(original, null, 2));
    setBody(database, 5, JSON.stringify(JSON.parse(body(database, 5))));
    expect(body(database, 5).startsWith('{"9":"nine","10":"ten"')).toBe(true);
    expect(verifyLinks(ID, log.entriesNow(ID))).toMatchObject({ ok: true, problems: [] });
  });

  it("a row re-sealed over a non-canonical text is still edited: the text is not what a writer hashes", () => {
    const { database, log } = filled();
    const entries = log.entriesNow(ID);
    const last = entries[5]!;
    // The attacker rewrites the last entry (no successor to betray it) and re-hashes over the raw text.
    for (const text of ['{"stepId":"contain/step-6","n":6}', '{"n":6, "stepId":"contain/step-6"}', '{"n":6,"n":7,"stepId":"contain/step-6"}', '{"n":6,"stepId":"contain/step-6"},"actor":"mallory"']) {
      setBody(database, 6, text);
      setHash(database, 6, hashAt(sealPrefixWith(last, text), 6));
      const verdict = verifyLinks(ID, log.entriesNow(ID));
      expect(verdict.problems, text).toEqual([expect.objectContaining({ seq: 6, kind: "edited" })]);
    }
    // Re-sealed over canonical text it verifies, exactly as it always has: the head needs an anchor outside the log.
    const canonical = canonicalJson({ stepId: "contain/step-6", n: 6 });
    setBody(database, 6, canonical);
    setHash(database, 6, hashAt(sealPrefixWith(last, canonical), 6));
    expect(verifyLinks(ID, log.entriesNow(ID)).ok).toBe(true);
  });

  it("a body that is not JSON any more is an edit, named, not a crash", () => {
    const { database, log } = filled();
    setBody(database, 3, "{not json");
    expect(verifyLinks(ID, log.entriesNow(ID)).problems).toEqual([expect.objectContaining({ seq: 3, kind: "edited" })]);
  });

  it("removals, reorders and insertions are still located from stored text", () => {
    const { database, log } = filled();
    database.db.prepare("DELETE FROM audit_log WHERE incident_id = ? AND seq = 3").run(ID);
    expect(verifyLinks(ID, log.entriesNow(ID)).problems).toEqual([expect.objectContaining({ seq: 3, kind: "removed" })]);
    const other = filled();
    other.database.db.prepare("UPDATE audit_log SET seq = 100 WHERE incident_id = ? AND seq = 2").run(ID);
    other.database.db.prepare("UPDATE audit_log SET seq = 2 WHERE incident_id = ? AND seq = 3").run(ID);
    other.database.db.prepare("UPDATE audit_log SET seq = 3 WHERE incident_id = ? AND seq = 100").run(ID);
    expect(verifyLinks(ID, other.log.entriesNow(ID)).problems.map((p) => p.kind)).toContain("reordered");
  });

  it("entries hash the same as entryHash over the parsed entry, whatever the body's keys", () => {
    const { log } = filled();
    for (const entry of log.entriesNow(ID)) expect(entryHash(entry)).toBe(entry.hash);
  });
});
