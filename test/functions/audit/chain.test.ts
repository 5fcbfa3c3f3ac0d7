import { describe, expect, it } from "vitest";
import { chainEntry, entryHash, GENESIS_HASH, type AuditEntry } from "../../../functions/audit/audit-entry.js";
import { canonicalJson } from "../../../functions/audit/canonical-json.js";
import { EvidenceMissing, type EvidenceReader } from "../../../functions/audit/evidence-reader.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { MemoryAuditLog } from "../../../functions/audit/memory-audit-log.js";
import { verifyChain, verifyLinks } from "../../../functions/audit/verify-chain.js";
import { sha256Hex } from "../../../functions/contract/digest.js";

const ID = "inc-20261124-0123456789ab";
const at = (n: number) => new Date(Date.UTC(2026, 10, 24, 12, 0, n)).toISOString();

async function log(n: number): Promise<AuditEntry[]> {
  const memory = new MemoryAuditLog();
  for (let i = 1; i <= n; i++) await memory.append(ID, { kind: "step.ran", actor: `function:task-${i}`, at: at(i), body: { stepId: `contain/step-${i}`, n: i } });
  return [...(await memory.entries(ID))];
}

/** Re-seals an entry the way an attacker with write access to the store would. */
const reseal = (entry: AuditEntry): AuditEntry => ({ ...entry, hash: entryHash(entry) });

describe("canonical JSON", () => {
  it("sorts keys at every depth and drops nothing silently", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: "x" }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":"x","z":1}]},"b":1}');
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });

  it("refuses what JSON cannot hold, naming where", () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow("$.a[1]");
    expect(() => canonicalJson({ f: () => 1 })).toThrow("$.f is a function");
  });
});

describe("chainEntry", () => {
  it("chains each entry to the previous one's hash, starting from the genesis hash", async () => {
    const entries = await log(3);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(entries[2]!.hash).toBe(entryHash(entries[2]!));
  });

  it("in memory, keeps each body deeply frozen and apart from the caller's object", async () => {
    const memory = new MemoryAuditLog();
    const body = { stepId: "contain/isolate", change: { before: { groups: ["sg-1"] } } };
    await memory.append(ID, { kind: "step.ran", actor: "function:isolate", at: at(1), body });
    body.change.before.groups.push("sg-2");
    const [entry] = await memory.entries(ID);
    expect(entry!.body).toEqual({ stepId: "contain/isolate", change: { before: { groups: ["sg-1"] } } });
    const groups = (entry!.body.change as { before: { groups: string[] } }).before.groups;
    expect(Object.isFrozen(entry!.body)).toBe(true);
    expect(Object.isFrozen(groups)).toBe(true);
    expect(() => groups.push("sg-3")).toThrow(TypeError);
  });

  it("hashes the same whatever order the body's keys were built in", () => {
    const a = chainEntry(ID, undefined, { kind: "x.y", actor: "a", at: at(1), body: { p: 1, q: { r: 2, s: 3 } } });
    const b = chainEntry(ID, undefined, { kind: "x.y", actor: "a", at: at(1), body: { q: { s: 3, r: 2 }, p: 1 } });
    expect(a.hash).toBe(b.hash);
  });

  it.each([
    [{ kind: "Nope", actor: "a", at: at(1), body: {} }, "kind"],
    [{ kind: "x.y", actor: "", at: at(1), body: {} }, "actor"],
    [{ kind: "x.y", actor: "a", at: "yesterday", body: {} }, "at"],
    // Each clause of sealNext's quick check, which lets the schema name the field only when it fails.
    [{ kind: "step", actor: "a", at: at(1), body: {} }, "kind"],
    [{ kind: "x.y", actor: "a".repeat(2049), at: at(1), body: {} }, "actor"],
    [{ kind: "x.y", at: at(1), body: {} } as unknown as AuditEntryInput, "actor"],
    [{ kind: "x.y", actor: "a", at: at(1), body: null } as unknown as AuditEntryInput, "body"],
  ])("refuses a malformed entry and names the field (%#)", (input, field) => {
    expect(() => chainEntry(ID, undefined, input)).toThrow(new RegExp(`${ID}: ${field} `));
  });
});

describe("verifyLinks: tampering is detected and located", () => {
  it("an intact log verifies", async () => {
    const verdict = verifyLinks(ID, await log(6));
    expect(verdict).toMatchObject({ ok: true, problems: [], entries: 6 });
  });

  it("edited: a changed body no longer matches its hash", async () => {
    const entries = await log(6);
    entries[2] = { ...entries[2]!, body: { ...entries[2]!.body, n: 99 } };
    expect(verifyLinks(ID, entries).problems).toEqual([expect.objectContaining({ seq: 3, kind: "edited", message: expect.stringContaining("entry 3") })]);
  });

  it("edited: a changed and re-hashed entry is named by the successor that still holds its old hash", async () => {
    const entries = await log(6);
    entries[2] = reseal({ ...entries[2]!, actor: "someone-else" });
    expect(verifyLinks(ID, entries).problems).toEqual([expect.objectContaining({ seq: 3, kind: "edited", message: expect.stringContaining("re-hashed") })]);
  });

  it("removed: a missing entry, with or without renumbering the rest", async () => {
    const entries = await log(6);
    const gap = entries.filter((e) => e.seq !== 4);
    expect(verifyLinks(ID, gap).problems).toEqual([expect.objectContaining({ seq: 4, kind: "removed", message: "entry 4 was removed" })]);
    const renumbered = gap.map((e) => (e.seq > 4 ? { ...e, seq: e.seq - 1 } : e));
    expect(verifyLinks(ID, renumbered).problems).toEqual([expect.objectContaining({ seq: 4, kind: "removed", message: expect.stringContaining("renumbered") })]);
    const two = entries.filter((e) => e.seq !== 2 && e.seq !== 3);
    expect(verifyLinks(ID, two).problems).toEqual([expect.objectContaining({ seq: 2, kind: "removed", message: "entries 2–3 were removed" })]);
  });

  it("reordered: two entries swapped in storage", async () => {
    const entries = await log(6);
    const swapped = [entries[0]!, entries[1]!, { ...entries[3]!, seq: 3 }, { ...entries[2]!, seq: 4 }, entries[4]!, entries[5]!];
    const { problems } = verifyLinks(ID, swapped);
    // Both halves of the swap are named, and nothing else.
    expect(problems).toEqual([
      { seq: 3, kind: "reordered", message: `the entry stored at seq 3 (${entries[3]!.kind}) was written as seq 4` },
      { seq: 4, kind: "reordered", message: `the entry stored at seq 4 (${entries[2]!.kind}) was written as seq 3` },
    ]);
  });

  it("reordered after a removal: only the entry stored before one written earlier is named, not the renumbered rest", async () => {
    const entries = await log(8);
    // Entry 2 removed, later ones renumbered down; then the entries written as 5 and 6 swapped.
    const renumbered = entries.filter((e) => e.seq !== 2).map((e) => ({ ...e, seq: e.seq - (e.seq > 2 ? 1 : 0) }));
    const stored = renumbered.map((e) => (e.seq === 4 ? { ...renumbered[4]!, seq: 4 } : e.seq === 5 ? { ...renumbered[3]!, seq: 5 } : e));
    expect(verifyLinks(ID, stored).problems.map((p) => [p.seq, p.kind])).toEqual([
      [2, "removed"],
      [4, "reordered"],
    ]);
    expect(verifyLinks(ID, stored).problems[1]!.message).toBe(`the entry stored at seq 4 (${entries[5]!.kind}) was written as seq 6, after the one written as seq 5, which is stored later (at seq 5)`);
  });

  it("reordered: two entries far apart swapped; the untouched ones between are not named", async () => {
    const entries = await log(14);
    const swapped = entries.map((entry) => (entry.seq === 4 ? { ...entries[11]!, seq: 4 } : entry.seq === 12 ? { ...entries[3]!, seq: 12 } : entry));
    expect(verifyLinks(ID, swapped).problems.map((p) => [p.seq, p.kind, p.message])).toEqual([
      [4, "reordered", `the entry stored at seq 4 (${entries[11]!.kind}) was written as seq 12`],
      [12, "reordered", `the entry stored at seq 12 (${entries[3]!.kind}) was written as seq 4`],
    ]);
  });

  it("inserted: a forged entry chained into the middle, later entries renumbered", async () => {
    const entries = await log(6);
    const forged = chainEntry(ID, entries[2], { kind: "approval.approved", actor: "mallory", at: at(3), body: { approvalId: "apr-x", stepId: "contain/step-4" } });
    const tampered = [...entries.slice(0, 3), forged, ...entries.slice(3).map((e) => ({ ...e, seq: e.seq + 1 }))];
    expect(verifyLinks(ID, tampered).problems).toEqual([expect.objectContaining({ seq: 4, kind: "inserted", message: expect.stringContaining("entry 4 (approval.approved) was inserted") })]);
  });

  it("a malformed or foreign entry is named, not a crash", async () => {
    const entries: unknown[] = await log(3);
    entries[1] = { ...(entries[1] as AuditEntry), hash: "not-a-hash" };
    expect(verifyLinks(ID, entries).problems[0]).toMatchObject({ seq: 2, kind: "edited", message: expect.stringContaining("malformed: hash") });
    const other = (await log(3)).map((e) => ({ ...e, incidentId: "inc-20261124-ffffffffffff" }));
    expect(verifyLinks(ID, other).problems.map((p) => p.kind)).toEqual(["foreign", "foreign", "foreign"]);
  });
});

describe("verifyChain: recorded evidence is re-hashed where it can be reached", () => {
  const evidenceLog = async () => {
    const memory = new MemoryAuditLog();
    const record = (location: string, sha256: string) => ({ task: "ec2.capture-memory", mode: "run", at: at(1), executionId: "x", summary: "s", changes: [], evidence: [{ kind: "ec2-instance-memory", location, sha256, sizeBytes: 4, description: "memory" }] });
    await memory.append(ID, { kind: "step.ran", actor: "function:ec2.capture-memory", at: at(1), body: { stepId: "eradicate/capture-memory", record: record("s3://evidence-bucket/a.lime", "a".repeat(64)) } });
    await memory.append(ID, { kind: "step.ran", actor: "function:ec2.capture-memory", at: at(2), body: { stepId: "eradicate/capture-memory-2", record: record("s3://evidence-bucket/b.lime", "b".repeat(64)) } });
    await memory.append(ID, { kind: "step.ran", actor: "function:ec2.capture-memory", at: at(3), body: { stepId: "eradicate/capture-memory-3", record: record("s3://evidence-bucket/c.lime", "c".repeat(64)) } });
    await memory.append(ID, { kind: "step.ran", actor: "function:ec2.snapshot-volumes", at: at(4), body: { stepId: "contain/snapshot", evidence: [{ location: "snap-0123", sha256: "d".repeat(64) }] } });
    return memory.entries(ID);
  };
  const reader: EvidenceReader = {
    read: (location) => {
      if (location.endsWith("a.lime")) return Promise.resolve({ sha256: "a".repeat(64), sizeBytes: 4 });
      if (location.endsWith("b.lime")) return Promise.resolve({ sha256: "e".repeat(64), sizeBytes: 4 });
      if (location.endsWith("c.lime")) return Promise.reject(new EvidenceMissing("NoSuchKey"));
      return Promise.resolve(undefined);
    },
  };

  it("intact, changed, missing and unreachable evidence, each located by entry", async () => {
    const verdict = await verifyChain(ID, await evidenceLog(), { evidence: reader });
    expect(verdict.evidence.map((e) => [e.seq, e.status])).toEqual([[1, "intact"], [2, "changed"], [3, "missing"], [4, "unreachable"]]);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([expect.objectContaining({ seq: 2, kind: "evidence", message: expect.stringContaining("has changed") }), expect.objectContaining({ seq: 3, kind: "evidence", message: expect.stringContaining("is missing") })]);
  });

  it("without a reader nothing is claimed intact", async () => {
    const verdict = await verifyChain(ID, await evidenceLog());
    expect(verdict.ok).toBe(true);
    expect(new Set(verdict.evidence.map((e) => e.status))).toEqual(new Set(["unreachable"]));
  });
  it("evidence hashed from the step's own output is re-hashed from the log, with no reader; evidence without a hash is listed, not skipped", async () => {
    const output = { instanceId: "i-0abc", state: "running", tags: { Name: "web" } };
    const described = (sha256: string) => ({ task: "ec2.describe-instance", mode: "run", at: at(1), executionId: "x", summary: "s", changes: [], output, evidence: [{ kind: "ec2-instance-metadata", location: "i-0abc", sha256, hashOf: "output", description: "d" }] });
    const memory = new MemoryAuditLog();
    await memory.append(ID, { kind: "step.ran", actor: "function:ec2.describe-instance", at: at(1), body: { stepId: "detect/describe", record: described(sha256Hex(canonicalJson(output))) } });
    await memory.append(ID, { kind: "step.ran", actor: "function:ec2.describe-instance", at: at(2), body: { stepId: "detect/describe-2", record: described("f".repeat(64)) } });
    await memory.append(ID, { kind: "step.ran", actor: "function:ec2.snapshot-volumes", at: at(3), body: { stepId: "contain/snapshot", evidence: [{ kind: "ec2-instance-disk", location: "snap-0123" }] } });
    const verdict = await verifyChain(ID, await memory.entries(ID));
    expect(verdict.evidence.map((e) => [e.seq, e.kind, e.status])).toEqual([[1, "ec2-instance-metadata", "intact"], [2, "ec2-instance-metadata", "changed"], [3, "ec2-instance-disk", "unhashed"]]);
    expect(verdict.problems).toEqual([{ seq: 2, kind: "evidence", message: `evidence i-0abc recorded in entry 2 is a hash of the step's output, but that output as recorded hashes to ${sha256Hex(canonicalJson(output))}, not ${"f".repeat(64)}` }]);
  });
});
