import { randomUUID } from "node:crypto";
import * as z from "zod";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import type { AuditAppender } from "../../../functions/audit/audit-port.js";
import { ExecutionArn, IncidentId } from "../../../functions/incident/document.js";

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
}

/** Audit kinds: the request (by the responder's process) and its execution (by the running one). */
export const ABORT_KIND = { requested: KIND.abortRequested, applied: KIND.abortApplied } as const;
/** Who the running process's entries are by. */
export const ABORT_ACTOR = "system:irflow-local";

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
  /** Requests no process has taken yet, oldest first. */
  untaken(): AbortRequest[];
  /** Marks the request taken by `by`; false when another process took it first. */
  take(id: string, at: Date, by: string): boolean;
}

export interface RequestAbortOptions {
  readonly store: AbortRequestStore;
  readonly audit: AuditAppender;
  readonly now?: () => Date;
  readonly newId?: () => string;
}

/** Checks, stores and audits a request; the running process takes it from the store. */
export async function requestAbort(input: AbortRequestInput, options: RequestAbortOptions): Promise<AbortRequest> {
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
  options.store.insert(request);
  // Audited once stored: an entry never names a request the store does not hold.
  if (incidentId !== undefined) {
    await options.audit.append(incidentId, { kind: ABORT_KIND.requested, actor: requestedBy, at: request.requestedAt, body: { requestId: request.id, executionArns: [...executionArns], reason } });
  }
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

  untaken(): AbortRequest[] {
    return [...this.requests.values()].filter((r) => r.takenAt === undefined).map((r) => structuredClone(r));
  }

  take(id: string, at: Date, by: string): boolean {
    const request = this.requests.get(id);
    if (!request || request.takenAt !== undefined) return false;
    this.requests.set(id, { ...request, takenAt: at.toISOString(), takenBy: by });
    return true;
  }
}
