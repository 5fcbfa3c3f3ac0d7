import { AuditEntry, GENESIS_HASH, hashAt, sealPrefix, sealPrefixWith } from "./audit-entry.js";
import { canonicalJson, sha256Hex } from "../contract/digest.js";
import { KIND } from "./audit-kinds.js";
import { isCanonicalObjectText } from "./canonical-text.js";
import { EvidenceMissing, type EvidenceReader } from "./evidence-reader.js";
import { unreadBodyJson } from "./stored-entry.js";

/**
 * How an incident's log was tampered with. `edited`: an entry's content no longer matches its
 * hash, or an entry was changed and re-hashed (its successor still names the old hash).
 * `removed`: entries are missing (whether or not later ones were renumbered). `reordered`: an
 * entry is stored at another position than the one it was written at. `inserted`: an entry that
 * chains into the log but is not part of it. `foreign`: an entry of another incident.
 * `evidence`: a recorded evidence hash no longer matches the evidence.
 */
export type ChainProblemKind = "edited" | "removed" | "reordered" | "inserted" | "foreign" | "evidence";

export interface ChainProblem {
  /** The seq the problem is at, as stored (for `removed`: the first missing seq). */
  readonly seq: number;
  readonly kind: ChainProblemKind;
  readonly message: string;
}

export interface EvidenceCheck {
  readonly seq: number;
  /** What the step recorded it as (ec2-instance-disk, ec2-instance-memory, …), when it says. */
  readonly kind?: string;
  readonly location: string;
  /** `unhashed`: recorded without a hash (a snapshot is known by its id), so there is nothing to re-hash. */
  readonly status: "intact" | "changed" | "missing" | "unreachable" | "unhashed";
}

export interface ChainVerdict {
  readonly incidentId: string;
  readonly ok: boolean;
  readonly entries: number;
  /** The hash of the last entry of the intact chain. */
  readonly headHash: string;
  /** Problems in log order; the first is where the tampering starts. */
  readonly problems: readonly ChainProblem[];
  readonly evidence: readonly EvidenceCheck[];
  /** The post-incident reports the log says were written, re-hashed (only with `VerifyOptions.reports`). */
  readonly reports?: readonly ReportCheck[];
}

/** A written report (the last written to its location), re-read. */
export interface ReportCheck {
  readonly seq: number;
  readonly format: string;
  readonly location: string;
  readonly status: "intact" | "changed" | "missing" | "unreachable";
}

export interface VerifyOptions {
  /** Re-hash recorded evidence where it is reachable; without it evidence is not checked. */
  readonly evidence?: EvidenceReader;
  /** Re-hash the reports `report.written` entries name; without it they are not checked. */
  readonly reports?: EvidenceReader;
}

interface Linked {
  readonly entry: AuditEntry;
  /** The seq it was written at (proved by its hash). */
  readonly writtenAs: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
function wellFormed(raw: unknown): raw is AuditEntry {
  if (typeof raw !== "object" || raw === null) return false;
  const e = raw as Record<string, unknown>;
  return (
    typeof e.incidentId === "string" && e.incidentId.length > 0 &&
    Number.isInteger(e.seq) && (e.seq as number) >= 1 &&
    typeof e.at === "string" && !Number.isNaN(Date.parse(e.at)) &&
    typeof e.kind === "string" && e.kind.length > 0 &&
    typeof e.actor === "string" && e.actor.length > 0 &&
    // A body still held as its stored text is checked when hashed (it must be a canonical object).
    (typeof unreadBodyJson(e) === "string" || (typeof e.body === "object" && e.body !== null && !Array.isArray(e.body))) &&
    typeof e.prevHash === "string" && HEX64.test(e.prevHash) &&
    typeof e.hash === "string" && HEX64.test(e.hash)
  );
}

/**
 * What an entry's hash covers but its seq. A body still held as stored text is hashed as that
 * text only once it is proved to be the canonical JSON of an object, the very bytes the writer
 * hashed: then the result equals re-serialising the parsed body, without building it. A text
 * that is not provably canonical (edited, or an old or unusual form) takes the full path, so
 * the verdict is the same either way.
 */
function prefixOf(entry: AuditEntry): string {
  const text = unreadBodyJson(entry);
  return typeof text === "string" && isCanonicalObjectText(text) ? sealPrefixWith(entry, text) : sealPrefix(entry);
}

/**
 * Re-walks the chain from the genesis hash: each step takes the entry that names the current
 * hash as its `prevHash` and proves, by its own hash, the seq it was written at. What the walk
 * cannot reach, or reaches in another order than storage holds, is tampering, located by seq.
 * Pure and synchronous; `verifyChain` adds the evidence checks.
 */
export function verifyLinks(incidentId: string, stored: readonly unknown[]): Omit<ChainVerdict, "evidence"> & { readonly chain: readonly AuditEntry[] } {
  const problems: ChainProblem[] = [];
  const entries: AuditEntry[] = [];
  stored.forEach((raw, index) => {
    // The common case checked by hand (10,000 entries a log); zod only to name what is wrong.
    if (wellFormed(raw)) {
      entries.push(raw);
      return;
    }
    const parsed = AuditEntry.safeParse(raw);
    if (parsed.success) entries.push(parsed.data);
    else {
      const seq = typeof (raw as { seq?: unknown })?.seq === "number" ? (raw as { seq: number }).seq : index + 1;
      const issue = parsed.error.issues[0]!;
      problems.push({ seq, kind: "edited", message: `entry ${seq} is malformed: ${issue.path.join(".")} ${issue.message}` });
    }
  });
  const own = entries.filter((entry) => {
    if (entry.incidentId === incidentId) return true;
    problems.push({ seq: entry.seq, kind: "foreign", message: `entry ${entry.seq} belongs to incident ${entry.incidentId}, not ${incidentId}` });
    return false;
  });

  const byPrev = new Map<string, AuditEntry[]>();
  for (const entry of own) {
    const siblings = byPrev.get(entry.prevHash);
    if (siblings) siblings.push(entry);
    else byPrev.set(entry.prevHash, [entry]);
  }
  const validAs = (entry: AuditEntry, seq: number, prefix = prefixOf(entry)): boolean => hashAt(prefix, seq) === entry.hash;
  const visited = new Set<AuditEntry>();
  const chain: Linked[] = [];

  /** Follows the links from `hash`, expecting `seq` next. */
  const walk = (hash: string, seq: number): void => {
    for (;;) {
      const siblings = byPrev.get(hash);
      if (!siblings) return;
      // The common case, one unvisited successor, without the filtering below.
      const only = siblings.length === 1 ? siblings[0]! : undefined;
      if (only && !visited.has(only) && validAs(only, seq)) {
        visited.add(only);
        chain.push({ entry: only, writtenAs: seq });
        hash = only.hash;
        seq += 1;
        continue;
      }
      const candidates = siblings.filter((entry) => !visited.has(entry));
      if (candidates.length === 0) return;
      const valid = candidates.filter((entry) => validAs(entry, seq));
      // Two entries proving the same place: the one the log continues from is the original.
      const next = valid.find((entry) => (byPrev.get(entry.hash) ?? []).length > 0) ?? valid[0];
      if (next) {
        visited.add(next);
        chain.push({ entry: next, writtenAs: seq });
      } else {
        // It names the right predecessor, but its own content no longer matches its hash.
        const edited = candidates.reduce((best, entry) => (Math.abs(entry.seq - seq) < Math.abs(best.seq - seq) ? entry : best));
        visited.add(edited);
        chain.push({ entry: edited, writtenAs: seq });
        problems.push({ seq: edited.seq, kind: "edited", message: `entry ${edited.seq} (${edited.kind}) does not match its hash: its content was changed after it was written` });
      }
      hash = chain.at(-1)!.entry.hash;
      seq += 1;
    }
  };

  walk(GENESIS_HASH, 1);
  const onChain = new Set(chain.map((link) => link.entry.hash));
  for (;;) {
    const left = own.filter((entry) => !visited.has(entry)).sort((a, b) => a.seq - b.seq);
    if (left.length === 0) break;
    const leftHashes = new Set(left.map((entry) => entry.hash));
    // Entries that chain validly into the walked log but were passed over: inserted beside the original.
    const forks = left.filter((entry) => onChain.has(entry.prevHash));
    if (forks.length > 0) {
      for (const entry of forks) {
        visited.add(entry);
        const before = chain.find((link) => link.entry.hash === entry.prevHash)!;
        problems.push({ seq: entry.seq, kind: "inserted", message: `entry ${entry.seq} (${entry.kind}) was inserted: it claims to follow entry ${before.entry.seq}, whose real successor is elsewhere in the log` });
      }
      continue;
    }
    // The walk broke: resume from the first entry whose predecessor is not among the leftovers.
    const start = left.find((entry) => !leftHashes.has(entry.prevHash)) ?? left[0]!;
    const last = chain.at(-1);
    const lastSeq = last?.writtenAs ?? 0;
    const prefix = prefixOf(start);
    const writtenAs = [start.seq, lastSeq + 1, ...Array.from({ length: Math.min(own.length + 64, 4096) }, (_, i) => lastSeq + 2 + i)].find((seq) => validAs(start, seq, prefix));
    if (writtenAs === undefined) {
      visited.add(start);
      problems.push({ seq: start.seq, kind: "edited", message: `entry ${start.seq} (${start.kind}) does not match its hash and does not chain to entry ${lastSeq}` });
      continue;
    }
    if (writtenAs === lastSeq + 1 && last) {
      problems.push({ seq: last.entry.seq, kind: "edited", message: `entry ${last.entry.seq} (${last.entry.kind}) was changed and re-hashed: entry ${start.seq} still names its original hash` });
    } else if (writtenAs > lastSeq + 1) {
      const first = lastSeq + 1;
      const missing = writtenAs - first;
      const renumbered = start.seq !== writtenAs ? `; later entries were renumbered (entry ${start.seq} was written as ${writtenAs})` : "";
      problems.push({ seq: first, kind: "removed", message: `${missing === 1 ? `entry ${first} was` : `entries ${first}–${writtenAs - 1} were`} removed${renumbered}` });
    } else {
      problems.push({ seq: start.seq, kind: "edited", message: `entry ${start.seq} (${start.kind}) does not chain to the entries before it` });
    }
    visited.add(start);
    chain.push({ entry: start, writtenAs });
    onChain.add(start.hash);
    walk(start.hash, writtenAs + 1);
    for (const link of chain) onChain.add(link.entry.hash);
  }

  const movedMessage = (link: Linked) => `the entry stored at seq ${link.entry.seq} (${link.entry.kind}) was written as seq ${link.writtenAs}`;
  if (!problems.some((p) => p.kind === "removed" || p.kind === "inserted")) {
    // Nothing shifted the numbering: every entry stored at another seq than it was written at was moved.
    for (const link of chain) if (link.entry.seq !== link.writtenAs) problems.push({ seq: link.entry.seq, kind: "reordered", message: movedMessage(link) });
  } else {
    // A removal or an insertion shifts the numbers after it, in the stored order; only a move breaks that order.
    let previous: Linked | undefined;
    for (const link of chain) {
      if (previous && link.entry.seq < previous.entry.seq) {
        problems.push({ seq: link.entry.seq, kind: "reordered", message: `${movedMessage(link)}, after the one written as seq ${previous.writtenAs}, which is stored later (at seq ${previous.entry.seq})` });
      }
      previous = link;
    }
  }
  problems.sort((a, b) => a.seq - b.seq);
  return { incidentId, ok: problems.length === 0, entries: stored.length, headHash: chain.at(-1)?.entry.hash ?? GENESIS_HASH, problems, chain: chain.map((link) => link.entry) };
}

/** Evidence items an entry records: `{ kind?, location, sha256?, sizeBytes? }` under `evidence` or `record.evidence`. */
export function evidenceOf(entry: AuditEntry): { kind?: string; location: string; sha256?: string; sizeBytes?: number; hashOf?: "output" }[] {
  // An archived execution history is evidence too: the object (AWS) or the rows (local) it hashed.
  if (entry.kind === KIND.executionArchived) {
    const { location, sha256, sizeBytes } = entry.body;
    return typeof location === "string" ? [{ kind: "execution-history", location, ...(typeof sha256 === "string" ? { sha256 } : {}), ...(typeof sizeBytes === "number" ? { sizeBytes } : {}) }] : [];
  }
  const lists = [entry.body.evidence, (entry.body.record as { evidence?: unknown } | undefined)?.evidence];
  return lists.flatMap((list) =>
    Array.isArray(list)
      ? list.flatMap((item: unknown) => {
          if (!item || typeof item !== "object") return [];
          const { kind, location, sha256, sizeBytes, hashOf } = item as Record<string, unknown>;
          if (typeof location !== "string") return [];
          return [{ ...(typeof kind === "string" ? { kind } : {}), location, ...(typeof sha256 === "string" ? { sha256 } : {}), ...(typeof sizeBytes === "number" ? { sizeBytes } : {}), ...(hashOf === "output" ? { hashOf } : {}) }];
        })
      : [],
  );
}

/** A step entry's output as recorded (in its step record, or in the body of older entries). */
function recordedOutputOf(entry: AuditEntry): unknown {
  const record = entry.body.record;
  return typeof record === "object" && record !== null && "output" in record ? record.output : entry.body.output;
}

/** The chain, then every recorded evidence hash the reader can reach. */
export async function verifyChain(incidentId: string, stored: readonly unknown[], options: VerifyOptions = {}): Promise<ChainVerdict> {
  const { chain, ...links } = verifyLinks(incidentId, stored);
  const problems = [...links.problems];
  const evidence: EvidenceCheck[] = [];
  for (const entry of chain) {
    for (const item of evidenceOf(entry)) {
      const named = { seq: entry.seq, ...(item.kind !== undefined ? { kind: item.kind } : {}), location: item.location };
      if (!item.sha256) {
        evidence.push({ ...named, status: "unhashed" });
        continue;
      }
      if (item.hashOf === "output") {
        // Hashed from the step's own output, which the entry holds: re-hashed from the log itself.
        const found = sha256Hex(canonicalJson(recordedOutputOf(entry) ?? null));
        if (found !== item.sha256) problems.push({ seq: entry.seq, kind: "evidence", message: `evidence ${item.location} recorded in entry ${entry.seq} is a hash of the step's output, but that output as recorded hashes to ${found}, not ${item.sha256}` });
        evidence.push({ ...named, status: found === item.sha256 ? "intact" : "changed" });
        continue;
      }
      if (!options.evidence) {
        evidence.push({ ...named, status: "unreachable" });
        continue;
      }
      let status: EvidenceCheck["status"];
      try {
        const found = await options.evidence.read(item.location);
        status = !found ? "unreachable" : found.sha256 === item.sha256 && (item.sizeBytes === undefined || item.sizeBytes === found.sizeBytes) ? "intact" : "changed";
        if (status === "changed") problems.push({ seq: entry.seq, kind: "evidence", message: `evidence ${item.location} recorded in entry ${entry.seq} has changed: sha256 ${found!.sha256} (${found!.sizeBytes} bytes), recorded ${item.sha256}${item.sizeBytes !== undefined ? ` (${item.sizeBytes} bytes)` : ""}` });
      } catch (error) {
        if (!(error instanceof EvidenceMissing)) throw error;
        status = "missing";
        problems.push({ seq: entry.seq, kind: "evidence", message: `evidence ${item.location} recorded in entry ${entry.seq} is missing: ${error.message}` });
      }
      evidence.push({ ...named, status });
    }
  }
  const reports = options.reports ? await checkReports(chain, options.reports, problems) : undefined;
  problems.sort((a, b) => a.seq - b.seq);
  return { ...links, ok: problems.length === 0, problems, evidence, ...(reports ? { reports } : {}) };
}

/**
 * The reports the log says were written, each at the last entry for its location (a close repeated
 * after a failure writes them again). A changed report is a problem: it no longer says what was
 * audited. A missing one is not: a report is rendered from the log, which is the record, and
 * `irflow report` renders a new one from it (not the same bytes: it is written at another time).
 */
async function checkReports(chain: readonly AuditEntry[], reader: EvidenceReader, problems: ChainProblem[]): Promise<ReportCheck[]> {
  const latest = new Map<string, { seq: number; format: string; sha256: string; sizeBytes?: number }>();
  for (const entry of chain) {
    if (entry.kind !== KIND.reportWritten) continue;
    const { location, format, sha256, sizeBytes } = entry.body;
    if (typeof location !== "string" || typeof sha256 !== "string") continue;
    latest.set(location, { seq: entry.seq, format: typeof format === "string" ? format : "?", sha256, ...(typeof sizeBytes === "number" ? { sizeBytes } : {}) });
  }
  const checks: ReportCheck[] = [];
  for (const [location, report] of latest) {
    let status: ReportCheck["status"];
    try {
      const found = await reader.read(location);
      status = !found ? "unreachable" : found.sha256 === report.sha256 && (report.sizeBytes === undefined || report.sizeBytes === found.sizeBytes) ? "intact" : "changed";
      if (status === "changed") problems.push({ seq: report.seq, kind: "evidence", message: `the ${report.format} report ${location} recorded in entry ${report.seq} has changed since it was written: sha256 ${found!.sha256} (${found!.sizeBytes} bytes), recorded ${report.sha256}${report.sizeBytes !== undefined ? ` (${report.sizeBytes} bytes)` : ""}` });
    } catch (error) {
      if (!(error instanceof EvidenceMissing)) throw error;
      status = "missing";
    }
    checks.push({ seq: report.seq, format: report.format, location, status });
  }
  return checks;
}
