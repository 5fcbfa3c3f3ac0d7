import { randomBytes } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { invalidInput, isTaskError, preconditionFailed } from "../contract/errors.js";
import { implementTask, type Logger, type Task, type TaskContext } from "../contract/task.js";
import { dedupeKey } from "./dedupe-key.js";
import { DynamoDbIncidentStore } from "./dynamodb-incident-store.js";
import { jsonDepth, MAX_EVENT_DEPTH, serializeEvent, type IncidentStore, type OpenedIncidentDocument } from "./incident-store.js";
import { normalizeEvent, type NormalizedEvent } from "./normalize-event.js";
import contract from "./open-incident.contract.js";

export type OpenIncidentTask = Task<typeof contract.input, typeof contract.output>;

export interface OpenIncidentOptions {
  /** How long an open incident absorbs events with its key (hours, default 24). */
  readonly windowHours?: number;
}

/** A store (opening is all this task does with it), or how to build one from the invocation (its clients exist only inside `run`). */
export type IncidentStoreSource = Pick<IncidentStore, "openOrJoin"> | ((ctx: TaskContext) => Pick<IncidentStore, "openOrJoin">);

const DEFAULT_WINDOW_HOURS = 24;
const MAX_WINDOW_HOURS = 24 * 90;
// The revision is stored in the record; the compiler writes a content hash.
const RUNBOOK_REVISION = /^[\w.:-]{1,128}$/;

/**
 * detect.open-incident with its store injected: normalise the event (a refused event is logged
 * at warn with the reason and its id, and nothing is written), derive the dedupe key, mint an
 * incident id, then open the incident or join the one open for the key. Idempotency is the
 * store's: this task runs before there is an incident id, so the step journal cannot provide it.
 */
export function createOpenIncident(store: IncidentStoreSource, options: OpenIncidentOptions = {}): OpenIncidentTask {
  const windowHours = options.windowHours ?? DEFAULT_WINDOW_HOURS;
  if (!(windowHours > 0 && windowHours <= MAX_WINDOW_HOURS)) throw new RangeError(`windowHours must be more than 0 and at most ${MAX_WINDOW_HOURS}, not ${windowHours}`);
  const windowSeconds = Math.round(windowHours * 3600);
  const storeFor = typeof store === "function" ? store : () => store;

  return implementTask(contract, {
    async run({ event, runbook, executionId }, ctx) {
      const now = ctx.clock.now();
      const facts = refusedVisibly(event, ctx.log, () => {
        if (!RUNBOOK_REVISION.test(runbook.revision)) throw invalidInput("runbook.revision must be a revision id (letters, digits, . _ : -)", "runbook.revision");
        if (jsonDepth(event, MAX_EVENT_DEPTH) > MAX_EVENT_DEPTH) throw invalidInput(`event nests deeper than ${MAX_EVENT_DEPTH} levels; no AWS event does`, "(root)");
        const normalised = normalizeEvent(event, now);
        return { normalised, key: dedupeKey(normalised, runbook.id), serialized: serializeEvent(event) };
      });
      const { normalised, key, serialized } = facts;
      const document: OpenedIncidentDocument = {
        incidentId: mintIncidentId(now),
        duplicate: false,
        runbook: { id: runbook.id, revision: runbook.revision },
        openedAt: now.toISOString(),
        ...documentFacts(normalised),
      };
      const result = await storeFor(ctx).openOrJoin({
        dedupeKey: key,
        windowSeconds,
        incident: { document, event: serialized },
        occurrence: { eventId: normalised.trigger.eventId, time: normalised.trigger.time, executionId },
      });
      const output: OpenedIncidentDocument = { ...document, incidentId: result.incidentId, openedAt: result.openedAt, duplicate: result.duplicate };
      const fields = { incidentId: result.incidentId, dedupeKey: key, eventId: normalised.trigger.eventId, occurrences: result.occurrences };
      ctx.log.info(result.duplicate ? "joined the open incident" : "opened the incident", fields);
      return {
        output,
        changes: [],
        summary: result.duplicate
          ? `${normalised.trigger.source} event ${normalised.trigger.eventId} joined incident ${result.incidentId} (${result.occurrences} ${result.occurrences === 1 ? "event" : "events"})`
          : `opened incident ${result.incidentId} for ${key}`,
      };
    },
  });
}

/** In the Lambda: the incidents table named by IRFLOW_INCIDENTS_TABLE, built per call (no I/O at import). */
export function incidentsTableStore(env: NodeJS.ProcessEnv = process.env): (ctx: TaskContext) => IncidentStore {
  return (ctx) => {
    const table = env.IRFLOW_INCIDENTS_TABLE;
    if (!table) throw preconditionFailed("IRFLOW_INCIDENTS_TABLE is not set: detect.open-incident has no incidents table", "IRFLOW_INCIDENTS_TABLE");
    return new DynamoDbIncidentStore(ctx.aws(DynamoDBClient), table);
  };
}

export default createOpenIncident(incidentsTableStore());

/** `inc-<yyyymmdd>-<12 hex>`: the day for humans, 48 random bits so ids never collide in practice. */
export function mintIncidentId(now: Date): string {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "");
  return `inc-${day}-${randomBytes(6).toString("hex")}`;
}

function documentFacts(event: NormalizedEvent): Pick<OpenedIncidentDocument, "severity" | "trigger" | "resource" | "actor" | "network" | "permission"> {
  return {
    severity: { label: event.severity.label, score: event.severity.score },
    trigger: event.trigger,
    resource: event.resource,
    ...(event.actor ? { actor: event.actor } : {}),
    ...(event.network ? { network: event.network } : {}),
    ...(event.permission ? { permission: event.permission } : {}),
  };
}

/**
 * Runs the checks that may refuse the event. A refusal is logged at warn (the reason and the
 * event's id, both cleaned and cut; never the event, whose content is the attacker's) and
 * rethrown as InvalidInput, so the execution fails visibly and nothing is written.
 */
function refusedVisibly<T>(event: Readonly<Record<string, unknown>>, log: Logger, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!isTaskError(error) || error.name !== "InvalidInput") throw error;
    const reason = printable(error.message, 512) ?? "refused";
    const field = error.detail === undefined ? undefined : printable(error.detail, 128);
    log.warn("refused the event: no incident opened", { reason, field, eventId: eventIdOf(event), source: printable(event.source, 64) });
    // The message may echo attacker-chosen keys; what reaches the execution history is bounded too.
    throw reason === error.message && field === error.detail ? error : invalidInput(reason, field);
  }
}

const EVENT_ID = /^[A-Za-z0-9-]{1,128}$/;

function eventIdOf(event: Readonly<Record<string, unknown>>): string {
  const id = event.id;
  if (typeof id === "string" && EVENT_ID.test(id)) return id;
  if (typeof id === "string") return `(not an event id: ${JSON.stringify(printable(id, 40))})`;
  return id === undefined ? "(none)" : `(not an event id: ${typeof id})`;
}

/** A string safe to log: control and format characters (newlines, bidi overrides) replaced, then cut. */
function printable(value: unknown, max: number): string | undefined {
  if (typeof value !== "string") return undefined;
  const cleaned = value.replace(/[\p{Cc}\p{Cf}]/gu, "?");
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}
