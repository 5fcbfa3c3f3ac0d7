import { createHash } from "node:crypto";
import * as z from "zod";
import type { AuditEntryInput } from "./audit-port.js";
import { canonicalJson } from "./canonical-json.js";

/** The `prevHash` of an incident's first entry. */
export const GENESIS_HASH = "0".repeat(64);

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");
const IsoTime = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "must be an ISO 8601 time");

/** What a caller may append (the port's `AuditEntryInput`), checked before it is chained. */
export const AuditEntryInputSchema = z.object({
  kind: z.string().regex(/^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/, "must be a dotted kind such as step.ran"),
  actor: z.string().min(1).max(2048),
  at: IsoTime,
  body: z.record(z.string(), z.unknown()),
});

/** One stored entry of an incident's log: the chain link is `prevHash`, the seal is `hash`. */
export const AuditEntry = z.object({
  incidentId: z.string().min(1).max(128),
  seq: z.number().int().min(1),
  at: IsoTime,
  kind: z.string().min(1),
  actor: z.string().min(1),
  body: z.record(z.string(), z.unknown()),
  prevHash: Sha256Hex,
  hash: Sha256Hex,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export type UnsealedEntry = Omit<AuditEntry, "hash">;

/** SHA-256 over the canonical JSON of everything but the hash itself. */
export function entryHash(entry: UnsealedEntry): string {
  const { incidentId, seq, at, kind, actor, body, prevHash } = entry;
  return createHash("sha256").update(canonicalJson({ incidentId, seq, at, kind, actor, body, prevHash })).digest("hex");
}

/** The entry that follows `previous` (or starts the chain); validates the input, names the bad field. */
export function chainEntry(incidentId: string, previous: Pick<AuditEntry, "seq" | "hash"> | undefined, input: AuditEntryInput): AuditEntry {
  const parsed = AuditEntryInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AuditInputError(`audit entry for ${incidentId}: ${issue.path.join(".") || "(entry)"} ${issue.message}`);
  }
  if (incidentId.length === 0) throw new AuditInputError("audit entry: incidentId is empty");
  // Round-trip through canonical JSON so what is hashed is exactly what a reader parses back.
  const body = JSON.parse(canonicalJson(parsed.data.body)) as Record<string, unknown>;
  const unsealed: UnsealedEntry = { incidentId, seq: (previous?.seq ?? 0) + 1, at: parsed.data.at, kind: parsed.data.kind, actor: parsed.data.actor, body, prevHash: previous?.hash ?? GENESIS_HASH };
  return { ...unsealed, hash: entryHash(unsealed) };
}

export class AuditInputError extends Error {
  override readonly name = "InvalidInput";
}
