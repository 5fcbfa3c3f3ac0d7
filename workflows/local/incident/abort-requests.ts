import { randomUUID } from "node:crypto";
import * as z from "zod";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { ExecutionArn, IncidentId } from "../../../functions/incident/document.js";
import { LOCAL_ACTOR } from "./incident-record.js";

/**
 * A responder's request to stop an incident's running executions (`irflow abort`), written by
 * one process and carried out by whichever process runs them: it notices the request by polling
 * the store (as the approval desk notices answers) and takes it once.
 */
export interface AbortRequest {
  readonly id: string;
  /** The incident the executions belong to; absent for an execution not linked to one yet (detect). */
  readonly incidentId?: string;
  /** The executions to stop, as they were running when the request was made. */
  readonly executionArns: readonly string[];
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly reason: string;
  /** Set once a running process has taken the request. */
  readonly takenAt?: string;
  readonly takenBy?: string;
  /**
   * Set when a process took the request but could not carry it out and gave it back: when, which
   * process, and why (so `irflow abort` can say so instead of "no process took it").
   */
  readonly failedAt?: string;
  readonly failedBy?: string;
  readonly failedReason?: string;
}

/** Why a taken request was given back, as the store records it. */
export interface AbortFailure {
  readonly at: Date;
  readonly reason: string;
}

/** At most this much of a failure's message is kept on the request. */
export const FAILED_REASON_MAX = 2000;

/** A failure's message for the request: the error's message (not its stack), bounded. */
export function failedReasonOf(error: unknown): string {
  const text = (error instanceof Error ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` : String(error)).trim() || "unknown error";
  return text.length > FAILED_REASON_MAX ? `${text.slice(0, FAILED_REASON_MAX - 1)}…` : text;
}

/** Audit kinds: the request (by the responder's process) and its execution (by the running one). */
export const ABORT_KIND = { requested: KIND.abortRequested, applied: KIND.abortApplied } as const;
/** Who the running process's entries are by: the local runner, as its other entries. */
export const ABORT_ACTOR = LOCAL_ACTOR;

export const AbortRequestInput = z.object({
  incidentId: IncidentId.optional(),
  executionArns: z.array(ExecutionArn).min(1, "must name at least one running execution"),
  requestedBy: z.string().trim().min(1, "must name who asks (--as)").max(256),
  reason: z.string().trim().min(1, "must say why (--reason)").max(2000, "must be at most 2000 characters"),
});
export type AbortRequestInput = z.input<typeof AbortRequestInput>;

export class InvalidAbortRequest extends Error {
  override readonly name = "InvalidAbortRequest";
}

/** Where abort requests wait to be taken. Every write is conditional, so a request is taken once. */
export interface AbortRequestStore {
  insert(request: AbortRequest): void;
  get(id: string): AbortRequest | undefined;
  /**
   * Requests no process has taken yet, made at or after `since` (ISO 8601), oldest first. A runner
   * asks only for those made since it started: an older one cannot name its executions (their
   * names are fresh), and requests a killed run left behind would otherwise be read at every look.
   */
  untaken(since?: string): AbortRequest[];
  /** Marks the request taken by `by`; false when another process took it first. */
  take(id: string, at: Date, by: string): boolean;
  /**
   * Gives back a request `by` took but could not carry out, so it reads as untaken again (another
   * process may still take it), recording when, by whom and why it failed.
   */
  release(id: string, by: string, failure: AbortFailure): void;
  /** Runs `work` as one transaction (the request and its audit entry are written together). */
  atomically<T>(work: () => T): T;
}

/** An audit log that appends at once, so its entry can join the request's transaction. */
export interface ImmediateAuditAppender {
  appendNow(incidentId: string, entry: AuditEntryInput): unknown;
}

export interface RequestAbortOptions {
  readonly store: AbortRequestStore;
  /** On the store's connection: its append joins the store's transaction. */
  readonly audit: ImmediateAuditAppender;
  readonly now?: () => Date;
  readonly newId?: () => string;
}

/**
 * Checks, stores and audits a request in one transaction; the running process takes it from the
 * store. Separate commits let the running process take the request and log `abort.applied` (and
 * the phases' ends) ahead of `abort.requested`.
 */
export function requestAbort(input: AbortRequestInput, options: RequestAbortOptions): AbortRequest {
  const parsed = AbortRequestInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidAbortRequest(`abort request: ${issue.path.join(".") || "(request)"} ${issue.message}`);
  }
  const { incidentId, executionArns, requestedBy, reason } = parsed.data;
  const request: AbortRequest = {
    id: options.newId?.() ?? `abt-${randomUUID()}`,
    ...(incidentId !== undefined ? { incidentId } : {}),
    executionArns,
    requestedBy,
    requestedAt: (options.now?.() ?? new Date()).toISOString(),
    reason,
  };
  options.store.atomically(() => {
    options.store.insert(request);
    if (incidentId !== undefined) {
      options.audit.appendNow(incidentId, { kind: ABORT_KIND.requested, actor: requestedBy, at: request.requestedAt, body: { requestId: request.id, executionArns: [...executionArns], reason } });
    }
  });
  return request;
}

/** The cause an aborted execution's history carries: who stopped it and why. */
export const abortCause = (by: string, reason: string): string => `aborted by ${by}: ${reason}`;

/** Abort requests in process memory (tests). */
export class MemoryAbortRequests implements AbortRequestStore {
  private readonly requests = new Map<string, AbortRequest>();

  insert(request: AbortRequest): void {
    if (this.requests.has(request.id)) throw new Error(`abort request ${request.id} already exists`);
    this.requests.set(request.id, structuredClone(request));
  }

  get(id: string): AbortRequest | undefined {
    const request = this.requests.get(id);
    return request ? structuredClone(request) : undefined;
  }

  untaken(since?: string): AbortRequest[] {
    return [...this.requests.values()].filter((r) => r.takenAt === undefined && (since === undefined || r.requestedAt >= since)).map((r) => structuredClone(r));
  }

  take(id: string, at: Date, by: string): boolean {
    const request = this.requests.get(id);
    if (!request || request.takenAt !== undefined) return false;
    this.requests.set(id, { ...request, takenAt: at.toISOString(), takenBy: by });
    return true;
  }

  release(id: string, by: string, failure: AbortFailure): void {
    const request = this.requests.get(id);
    if (request?.takenBy !== by) return;
    const { takenAt: _at, takenBy: _by, ...untaken } = request;
    this.requests.set(id, { ...untaken, failedAt: failure.at.toISOString(), failedBy: by, failedReason: failure.reason });
  }

  /** No rollback in memory: `work` runs as is. */
  atomically<T>(work: () => T): T {
    return work();
  }
}
