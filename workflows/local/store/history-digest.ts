import { createHash } from "node:crypto";
import { auditEntry, KIND } from "../../../functions/audit/audit-kinds.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { EvidenceMissing, type EvidenceContent, type EvidenceReader } from "../../../functions/audit/evidence-reader.js";
import type { EmbeddedDatabase } from "./embedded-database.js";

/**
 * Where an `execution.archived` entry of a local run says the history is: the embedded store's
 * rows of that execution (on AWS, an S3 object). The prefix tells a verifier to read them there.
 */
const LOCAL_HISTORY = "irflow-history:";

export const localHistoryLocation = (executionArn: string): string => `${LOCAL_HISTORY}${executionArn}`;

/** Who records an execution's history digest: the archiver's part, as on AWS. */
export const ARCHIVER = "system:archiver";

/** The `execution.archived` entry of a local execution's stored history (the body the AWS archiver writes, with its location here). */
export function archivedEntry(executionArn: string, status: string, digest: StoredHistoryDigest, at: string): AuditEntryInput {
  return auditEntry(KIND.executionArchived, ARCHIVER, at, { executionArn, status, location: localHistoryLocation(executionArn), events: digest.events, sha256: digest.sha256, sizeBytes: digest.sizeBytes });
}

export interface StoredHistoryDigest extends EvidenceContent {
  /** The id of the execution's last stored event: how many events it has. */
  readonly events: number;
}

/**
 * The SHA-256 of an execution's history as the store holds it: its chunks' JSON, in event order.
 * Undefined when the store holds none of its events (history stored before chunks is not covered).
 * The same bytes are re-read and re-hashed by `irflow verify`, so any edit, removal or reordering
 * of the rows after the digest was recorded shows.
 */
export function storedHistoryDigest(database: EmbeddedDatabase, executionArn: string): StoredHistoryDigest | undefined {
  const rows = database.db.prepare<[string], { events: string; last_id: number }>("SELECT events, last_id FROM history_chunks WHERE execution_arn = ? ORDER BY first_id").all(executionArn);
  if (rows.length === 0) return undefined;
  const digest = new HistoryDigest();
  for (const row of rows) digest.add(row.events);
  return digest.of(rows.at(-1)!.last_id);
}

/** The digest as chunks are added, in order: what the writer builds as it stores them and a verifier as it reads them back. */
export class HistoryDigest {
  private readonly hash = createHash("sha256");
  private sizeBytes = 0;

  /** A chunk's JSON, as its row holds it. */
  add(chunk: string): void {
    const bytes = Buffer.from(chunk, "utf8");
    this.hash.update(bytes);
    this.sizeBytes += bytes.length;
  }

  /** The digest of the chunks added, the last holding event `events`; once only. */
  of(events: number): StoredHistoryDigest {
    return { sha256: this.hash.digest("hex"), sizeBytes: this.sizeBytes, events };
  }
}

/**
 * Reads back what an `execution.archived` entry of a local run names (`irflow-history:<arn>`) by
 * re-hashing the execution's rows; any other location goes to `next` (files, or nothing).
 */
export class StoredHistoryReader implements EvidenceReader {
  constructor(
    private readonly database: EmbeddedDatabase,
    private readonly next: EvidenceReader,
  ) {}

  read(location: string): Promise<EvidenceContent | undefined> {
    if (!location.startsWith(LOCAL_HISTORY)) return this.next.read(location);
    const executionArn = location.slice(LOCAL_HISTORY.length);
    const digest = storedHistoryDigest(this.database, executionArn);
    if (!digest) return Promise.reject(new EvidenceMissing(`the store holds no history of ${executionArn}`));
    return Promise.resolve({ sha256: digest.sha256, sizeBytes: digest.sizeBytes });
  }
}
