import { hash } from "node:crypto";
import * as z from "zod";
import type { AuditEntryInput } from "./audit-port.js";
import { canonicalForm, canonicalJson } from "./canonical-json.js";
import { storedEntry } from "./stored-entry.js";

/** The `prevHash` of an incident's first entry. */
export const GENESIS_HASH = "0".repeat(64);

const KIND_FORM = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/;
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");
const IsoTime = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "must be an ISO 8601 time");

/** What a caller may append (the port's `AuditEntryInput`), checked before it is chained. */
export const AuditEntryInputSchema = z.object({
  kind: z.string().regex(KIND_FORM, "must be a dotted kind such as step.ran"),
  actor: z.string().min(1).max(2048),
  at: IsoTime,
  // Only its shape here: canonicalJson checks every value inside when the entry is sealed (a
  // z.record would copy the whole body first).
  body: z.custom<Record<string, unknown>>((value) => typeof value === "object" && value !== null && !Array.isArray(value), "must be an object"),
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

/**
 * The canonical JSON of everything an entry's hash covers, up to its seq: keys in sorted order
 * (actor, at, body, incidentId, kind, prevHash, seq), exactly as `canonicalJson` writes the whole
 * object. Verification re-hashes one entry at several candidate seqs, so the seq is left out.
 */
export function sealPrefix(entry: Omit<UnsealedEntry, "seq">): string {
  return sealPrefixWith(entry, canonicalJson(entry.body));
}

/** `sealPrefix` with the body's canonical JSON already at hand; the caller vouches that it is exactly that. */
export const sealPrefixWith = (entry: Omit<UnsealedEntry, "seq" | "body">, bodyJson: string): string =>
  `{"actor":${json(entry.actor)},"at":${json(entry.at)},"body":${bodyJson},"incidentId":${json(entry.incidentId)},"kind":${json(entry.kind)},"prevHash":${json(entry.prevHash)},"seq":`;

// The fields are strings in any entry that verifies; anything else still gets canonicalJson's checks.
const json = (value: unknown): string => (typeof value === "string" ? JSON.stringify(value) : canonicalJson(value));

/** SHA-256 over a `sealPrefix`, the seq and the closing brace (one-shot: no Hash object per entry). */
export function hashAt(prefix: string, seq: number): string {
  return hash("sha256", `${prefix}${Number.isInteger(seq) ? seq : canonicalJson(seq)}}`, "hex");
}

/** SHA-256 over the canonical JSON of everything but the hash itself. */
export function entryHash(entry: UnsealedEntry): string {
  return hashAt(sealPrefix(entry), entry.seq);
}

/** A new entry and its body's canonical JSON, the text its hash covers (what a store should keep). */
export interface SealedEntry {
  readonly entry: AuditEntry;
  readonly bodyJson: string;
  /** A copy of the body as parsing `bodyJson` gives it, shared with `entry.body`; deep-frozen, so a store can share it with every reader. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** The entry that follows `previous` (or starts the chain); validates the input, names the bad field. */
export function sealNext(incidentId: string, previous: Pick<AuditEntry, "seq" | "hash"> | undefined, input: AuditEntryInput): SealedEntry {
  // The schema only when the quick check fails: it then names the bad field.
  const data = isValidInput(input) ? input : parsedInput(incidentId, input);
  if (incidentId.length === 0) throw new AuditInputError("audit entry: incidentId is empty");
  // Serialised once, with a copy that is exactly what parsing the hashed text gives back: what is
  // hashed is exactly what is read (and canonicalJson of it gives the same text again).
  const { json: bodyJson, copy: body } = canonicalForm(data.body);
  const fields = { incidentId, seq: (previous?.seq ?? 0) + 1, at: data.at, kind: data.kind, actor: data.actor, prevHash: previous?.hash ?? GENESIS_HASH };
  const hash = hashAt(sealPrefixWith(fields, bodyJson), fields.seq);
  return { entry: storedEntry({ ...fields, hash }, bodyJson, () => body), bodyJson, body };
}

/** Exactly what `AuditEntryInputSchema` accepts, without building its result (every append passes it). */
function isValidInput(input: AuditEntryInput): boolean {
  if (typeof input !== "object" || input === null) return false;
  const { kind, actor, at, body } = input as { kind?: unknown; actor?: unknown; at?: unknown; body?: unknown };
  return (
    typeof kind === "string" &&
    KIND_FORM.test(kind) &&
    typeof actor === "string" &&
    actor.length >= 1 &&
    actor.length <= 2048 &&
    typeof at === "string" &&
    !Number.isNaN(Date.parse(at)) &&
    typeof body === "object" &&
    body !== null &&
    !Array.isArray(body)
  );
}

function parsedInput(incidentId: string, input: AuditEntryInput): AuditEntryInput {
  const parsed = AuditEntryInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AuditInputError(`audit entry for ${incidentId}: ${issue.path.join(".") || "(entry)"} ${issue.message}`);
  }
  return parsed.data;
}

/** `sealNext` without the text. */
export function chainEntry(incidentId: string, previous: Pick<AuditEntry, "seq" | "hash"> | undefined, input: AuditEntryInput): AuditEntry {
  return sealNext(incidentId, previous, input).entry;
}

export class AuditInputError extends Error {
  override readonly name = "InvalidInput";
}
