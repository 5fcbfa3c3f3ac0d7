import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type ObjectLockMode, type S3Client } from "@aws-sdk/client-s3";
import { aws, awsErrorCode, classifyAwsError } from "../contract/aws-errors.js";
import { preconditionFailed, transient } from "../contract/errors.js";
import { chainEntry, type AuditEntry } from "./audit-entry.js";
import type { AuditLog } from "./audit-log.js";
import type { AuditEntryInput } from "./audit-port.js";
import { canonicalJson } from "./canonical-json.js";

export interface ObjectLockSettings {
  readonly mode: ObjectLockMode;
  readonly retainDays: number;
}

export interface S3AuditLogOptions {
  readonly bucket: string;
  /** Per-object retention on top of the bucket's default (the bucket must have Object Lock enabled). */
  readonly objectLock?: ObjectLockSettings;
  readonly now?: () => Date;
  /** How often an append retries after another writer took the same seq. */
  readonly maxRaces?: number;
}

const SEQ_DIGITS = 12;
export const auditPrefix = (incidentId: string): string => `incidents/${incidentId}/audit/`;
/** Zero-padded, so S3's lexicographic listing is the chain's order. */
export const auditKey = (incidentId: string, seq: number): string => `${auditPrefix(incidentId)}${String(seq).padStart(SEQ_DIGITS, "0")}.json`;
const seqOfKey = (key: string): number | undefined => {
  const match = /\/(\d+)\.json$/.exec(key);
  return match ? Number(match[1]) : undefined;
};

/**
 * The audit log in AWS: one object per entry under `incidents/<id>/audit/<seq>.json` in the audit
 * bucket (versioned, Object Lock). `IfNoneMatch: "*"` makes each seq writable once: a writer that
 * lost a race to the same seq gets 412, re-reads the head and chains after the winner.
 */
export class S3AuditLog implements AuditLog {
  private readonly now: () => Date;

  constructor(
    private readonly s3: S3Client,
    private readonly options: S3AuditLogOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async append(incidentId: string, input: AuditEntryInput): Promise<void> {
    const races = this.options.maxRaces ?? 5;
    for (let attempt = 0; attempt <= races; attempt++) {
      const keys = await this.keys(incidentId);
      const last = keys.at(-1);
      const head = last ? await this.read(incidentId, last) : undefined;
      const entry = chainEntry(incidentId, head, input);
      const body = canonicalJson(entry);
      const lock = this.options.objectLock;
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: auditKey(incidentId, entry.seq),
            Body: body,
            ContentType: "application/json",
            IfNoneMatch: "*",
            ...(lock ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: new Date(this.now().getTime() + lock.retainDays * 86_400_000) } : {}),
          }),
        );
        return;
      } catch (error) {
        const code = awsErrorCode(error);
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // 412: the seq exists (another writer won); 409: a concurrent conditional write is in flight.
        if (code === "PreconditionFailed" || code === "ConditionalRequestConflict" || status === 412 || status === 409) continue;
        throw classifyAwsError(error, `PutObject s3://${this.options.bucket}/${auditKey(incidentId, entry.seq)}`);
      }
    }
    throw transient(`audit log of ${incidentId}: lost the race for the next entry ${races + 1} times`, "AuditAppendContention");
  }

  /** Every entry, in key order; the key's seq is the stored position (an object moved to another key shows as reordered). */
  async entries(incidentId: string): Promise<readonly AuditEntry[]> {
    const keys = await this.keys(incidentId);
    const entries: AuditEntry[] = [];
    for (const key of keys) entries.push(await this.read(incidentId, key));
    return entries;
  }

  private async keys(incidentId: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await aws(`ListObjectsV2 s3://${this.options.bucket}/${auditPrefix(incidentId)}`, () =>
        this.s3.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: auditPrefix(incidentId), ...(token ? { ContinuationToken: token } : {}) })),
      );
      for (const object of page.Contents ?? []) if (object.Key && seqOfKey(object.Key) !== undefined) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  private async read(incidentId: string, key: string): Promise<AuditEntry> {
    const object = await aws(`GetObject s3://${this.options.bucket}/${key}`, () => this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key })));
    const text = (await object.Body?.transformToString("utf8")) ?? "";
    const seq = seqOfKey(key)!;
    try {
      const parsed = JSON.parse(text) as AuditEntry;
      return { ...parsed, seq };
    } catch {
      // Not JSON any more: verification reports it, by seq, as content that does not match.
      return { incidentId, seq, at: "", kind: "", actor: "", body: { $unparsable: text }, prevHash: "", hash: "" };
    }
  }
}

/** The audit log a Lambda appends to: `IRFLOW_AUDIT_BUCKET`, optional `IRFLOW_AUDIT_LOCK_MODE` and `IRFLOW_AUDIT_RETAIN_DAYS`. */
export function auditLogFromEnv(s3: S3Client, env: NodeJS.ProcessEnv = process.env, now?: () => Date): S3AuditLog {
  const bucket = env.IRFLOW_AUDIT_BUCKET;
  if (!bucket) throw preconditionFailed("IRFLOW_AUDIT_BUCKET is not set: there is no audit bucket to write to", "IRFLOW_AUDIT_BUCKET");
  const mode = env.IRFLOW_AUDIT_LOCK_MODE;
  if (mode !== undefined && mode !== "GOVERNANCE" && mode !== "COMPLIANCE") throw preconditionFailed(`IRFLOW_AUDIT_LOCK_MODE must be GOVERNANCE or COMPLIANCE, not ${mode}`, "IRFLOW_AUDIT_LOCK_MODE");
  const days = Number(env.IRFLOW_AUDIT_RETAIN_DAYS ?? "0");
  if (mode && !(Number.isInteger(days) && days > 0)) throw preconditionFailed("IRFLOW_AUDIT_RETAIN_DAYS must be a whole number of days above 0 when IRFLOW_AUDIT_LOCK_MODE is set", "IRFLOW_AUDIT_RETAIN_DAYS");
  return new S3AuditLog(s3, { bucket, ...(mode ? { objectLock: { mode, retainDays: days } } : {}), ...(now ? { now } : {}) });
}
