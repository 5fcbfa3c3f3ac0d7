import { createHash } from "node:crypto";

/**
 * An event that did not become an incident, and why: what a responder or auditor needs to see that
 * irflow heard it and refused it. Never the event itself (its content is whoever sent it); its id
 * and source only when they are well-formed, its digest and size always.
 */
export interface RefusedEvent {
  readonly at: string;
  readonly runbookId: string;
  /** The incident machine's execution that refused it. */
  readonly executionArn: string;
  readonly eventId?: string;
  readonly source?: string;
  /** The error the detect phase ended with (DetectionFailed) and its cause, cleaned and cut. */
  readonly error: string;
  readonly reason: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** Where refusals are kept: memory for tests, the embedded database for local runs. */
export interface RefusedEventLog {
  record(refusal: RefusedEvent): void | Promise<void>;
  list(): readonly RefusedEvent[];
}

export class MemoryRefusedEventLog implements RefusedEventLog {
  private readonly refusals: RefusedEvent[] = [];

  record(refusal: RefusedEvent): void {
    this.refusals.push(structuredClone(refusal));
  }

  list(): readonly RefusedEvent[] {
    return structuredClone(this.refusals);
  }
}

const EVENT_ID = /^[A-Za-z0-9-]{1,128}$/;
const SOURCE = /^[a-z0-9.-]{1,64}$/;

/** The refusal record of one event; `cause` is the execution's failure cause. */
export function refusalOf(input: { event: unknown; runbookId: string; executionArn: string; error: string; cause: string; at: Date }): RefusedEvent {
  const { event } = input;
  let json: string;
  try {
    json = JSON.stringify(event) ?? "null";
  } catch {
    json = String(event);
  }
  const fields = event !== null && typeof event === "object" && !Array.isArray(event) ? (event as Record<string, unknown>) : {};
  const eventId = typeof fields.id === "string" && EVENT_ID.test(fields.id) ? fields.id : undefined;
  const source = typeof fields.source === "string" && SOURCE.test(fields.source) ? fields.source : undefined;
  return {
    at: input.at.toISOString(),
    runbookId: input.runbookId,
    executionArn: input.executionArn,
    ...(eventId ? { eventId } : {}),
    ...(source ? { source } : {}),
    error: printable(input.error, 128),
    reason: printable(reasonOf(input.cause), 512),
    sha256: createHash("sha256").update(json, "utf8").digest("hex"),
    bytes: Buffer.byteLength(json, "utf8"),
  };
}

/** A task failure's cause is JSON with an errorMessage (Lambda's shape); a state error's is text. */
function reasonOf(cause: string): string {
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed !== null && typeof parsed === "object") {
      const record = parsed as Record<string, unknown>;
      if (typeof record.errorMessage === "string") return record.errorMessage;
      if (typeof record.Cause === "string") return reasonOf(record.Cause);
    }
  } catch {
    // Not JSON: the cause is the reason.
  }
  return cause;
}

function printable(value: string, max: number): string {
  const cleaned = value.replace(/[\p{Cc}\p{Cf}]/gu, "?");
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}
