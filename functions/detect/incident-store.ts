import { createHash } from "node:crypto";
import { preconditionFailed } from "../contract/errors.js";
import type { IncidentDocument } from "../incident/document.js";

/** The document detect.open-incident returns: the incident document before any step ran. */
export type OpenedIncidentDocument = Omit<IncidentDocument, "step" | "failure" | "closure">;

/** One event that reported an incident. */
export interface Occurrence {
  /** The event's id (the trigger's): the same event delivered twice is one occurrence. */
  readonly eventId: string;
  /** When the event happened, as its source says. */
  readonly time: string;
  /** The execution that processed it. */
  readonly executionId: string;
}

export interface OpenOrJoinRequest {
  /** From `dedupeKey`: events with one key are one incident while it is open. */
  readonly dedupeKey: string;
  /** How long after it opened an incident absorbs events with its key; later ones open another. */
  readonly windowSeconds: number;
  /**
   * The incident this event opens if none is open for the key: a fresh id, and `openedAt`, which
   * is also "now", the time the window and the claim are judged by.
   */
  readonly incident: {
    readonly document: OpenedIncidentDocument;
    /** The raw EventBridge event, for the incident record (never the workflow document). */
    readonly event: SerializedEvent;
  };
  readonly occurrence: Occurrence;
}

export interface OpenOrJoinResult {
  /** The incident the event belongs to: the new one, or the one it joined. */
  readonly incidentId: string;
  /**
   * True when the event joined an incident another execution opened. A retry of the execution
   * that opened it (same execution id) is not a duplicate: it gets the same answer again.
   */
  readonly duplicate: boolean;
  readonly openedAt: string;
  /** Distinct events recorded on the incident so far (this one included). */
  readonly occurrences: number;
}

/**
 * Where detect opens incidents: one open incident per dedupe key and window, decided atomically
 * (two concurrent first events open one incident; the other joins it), idempotent per event id
 * and per execution. DynamoDB in AWS (`DynamoDbIncidentStore`), memory in tests and local runs.
 */
export interface IncidentStore {
  openOrJoin(request: OpenOrJoinRequest): Promise<OpenOrJoinResult>;
  /**
   * Marks the incident closed (post-incident ends) and frees its dedupe key, so the next event
   * with that key opens a new incident. Closing again changes nothing (the first close time
   * stays); a key another incident holds by now is left alone. Rejects with PreconditionFailed
   * when the store has no such incident.
   */
  close(incidentId: string, at: Date): Promise<void>;
}

/** Events are at most 256 KiB (EventBridge); beyond this we keep only the digest (DynamoDB: 400 KB an item). */
export const MAX_STORED_EVENT_BYTES = 300 * 1024;

/** Deeper than any AWS event (GuardDuty's are about 10): refused before anything recurses into it. */
export const MAX_EVENT_DEPTH = 64;

/** How deeply a JSON value nests, counted without recursion (so a hostile depth cannot overflow the stack). */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export interface SerializedEvent {
  /** The event as JSON, absent when it was too large to keep. */
  readonly json?: string;
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * The raw event for the record: JSON (not a DynamoDB map, which stops at 32 levels) and its
 * SHA-256. The caller has bounded the nesting (`MAX_EVENT_DEPTH`); JSON.stringify recurses.
 */
export function serializeEvent(event: Readonly<Record<string, unknown>>): SerializedEvent {
  const json = JSON.stringify(event);
  const bytes = Buffer.byteLength(json, "utf8");
  const sha256 = createHash("sha256").update(json, "utf8").digest("hex");
  return bytes <= MAX_STORED_EVENT_BYTES ? { json, sha256, bytes } : { sha256, bytes };
}

/** What the in-memory store keeps of an incident (a copy is handed out). */
export interface StoredIncident {
  readonly incidentId: string;
  readonly dedupeKey: string;
  readonly status: "open" | "closed";
  readonly openedAt: string;
  readonly openedBy: string;
  /** When it was first closed. */
  readonly closedAt?: string;
  readonly document: OpenedIncidentDocument;
  readonly event: SerializedEvent;
  readonly occurrences: readonly (Occurrence & { readonly recordedAt: string })[];
}

interface Claim {
  readonly incidentId: string;
  readonly openedAt: string;
  readonly expiresAtMs: number;
  readonly executionId: string;
  status: "open" | "closed";
}

interface MutableIncident {
  readonly incidentId: string;
  readonly dedupeKey: string;
  status: "open" | "closed";
  readonly openedAt: string;
  readonly openedBy: string;
  closedAt?: string;
  readonly document: OpenedIncidentDocument;
  readonly event: SerializedEvent;
  readonly occurrences: Map<string, Occurrence & { readonly recordedAt: string }>;
}

/**
 * The incident store in process memory, for tests and single-process local runs. Each call runs
 * to completion before the next (no await inside), which gives it DynamoDB's conditional-write
 * atomicity; the semantics are the DynamoDB store's, less its crash recovery.
 */
export class MemoryIncidentStore implements IncidentStore {
  private readonly claims = new Map<string, Claim>();
  private readonly records = new Map<string, MutableIncident>();

  openOrJoin(request: OpenOrJoinRequest): Promise<OpenOrJoinResult> {
    const { dedupeKey, incident, occurrence } = request;
    const at = incident.document.openedAt;
    const now = Date.parse(at);
    const claim = this.claims.get(dedupeKey);
    const inWindow = claim !== undefined && !(claim.expiresAtMs < now);
    // A closed incident still answers for the events it recorded (EventBridge delivers at least once).
    const open = inWindow && (claim.status === "open" || this.records.get(claim.incidentId)?.occurrences.has(occurrence.eventId) === true);
    if (open) {
      const record = this.records.get(claim.incidentId);
      if (!record) return Promise.reject(new Error(`memory incident store: claim ${dedupeKey} names missing incident ${claim.incidentId}`));
      if (!record.occurrences.has(occurrence.eventId)) record.occurrences.set(occurrence.eventId, { ...occurrence, recordedAt: at });
      return Promise.resolve({
        incidentId: record.incidentId,
        duplicate: claim.executionId !== occurrence.executionId,
        openedAt: record.openedAt,
        occurrences: record.occurrences.size,
      });
    }
    const { incidentId } = incident.document;
    if (this.records.has(incidentId)) return Promise.reject(new Error(`memory incident store: incident id ${incidentId} is taken`));
    this.claims.set(dedupeKey, { incidentId, openedAt: at, expiresAtMs: now + request.windowSeconds * 1000, executionId: occurrence.executionId, status: "open" });
    this.records.set(incidentId, {
      incidentId,
      dedupeKey,
      status: "open",
      openedAt: at,
      openedBy: occurrence.executionId,
      document: structuredClone(incident.document),
      event: incident.event,
      occurrences: new Map([[occurrence.eventId, { ...occurrence, recordedAt: at }]]),
    });
    return Promise.resolve({ incidentId, duplicate: false, openedAt: at, occurrences: 1 });
  }

  /** Closes an incident (as post-incident does): the next event with its key opens a new one. Done before the promise is returned. */
  close(incidentId: string, at: Date = new Date()): Promise<void> {
    const record = this.records.get(incidentId);
    if (!record) return Promise.reject(preconditionFailed(`incident ${incidentId} is not in the incident store`, incidentId));
    record.status = "closed";
    record.closedAt ??= at.toISOString();
    const claim = this.claims.get(record.dedupeKey);
    if (claim?.incidentId === incidentId) claim.status = "closed";
    return Promise.resolve();
  }

  incident(incidentId: string): StoredIncident | undefined {
    const record = this.records.get(incidentId);
    return record ? snapshot(record) : undefined;
  }

  incidents(): StoredIncident[] {
    return [...this.records.values()].map(snapshot);
  }
}

function snapshot(record: MutableIncident): StoredIncident {
  return structuredClone({ ...record, occurrences: [...record.occurrences.values()] });
}
