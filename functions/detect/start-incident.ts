import { randomUUID } from "node:crypto";
import { StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import * as z from "zod";
import { STARTED_BY_FIELD } from "../approval/approval.js";
import { awsErrorCode, classifyAwsError } from "../contract/aws-errors.js";
import { isTaskError } from "../contract/errors.js";
import type { Clock } from "../contract/task.js";
import { failure, json, jsonBody, signedCaller, type HttpApiEvent, type HttpResponse } from "../http/http-api.js";
import { formatIssues } from "../runtime/execute-task.js";
import { MANUAL_SOURCE, ManualDetail, normalizeEvent } from "./normalize-event.js";

/** The route of the incidents API (IAM authorization, like the approval routes). */
export const START_INCIDENT_ROUTE = "POST /incidents";

/** The `detail-type` of a manual start, as `test/fixtures/events/manual.json` and the CLI write it. */
export const MANUAL_DETAIL_TYPE = "Incident Started";

const MachineArn = z.string().regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}$/, "must be a state machine ARN");
const RunbookId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be a runbook id (lower case, digits, -)");

/**
 * `IRFLOW_INCIDENT_MACHINES`: every runbook's incident machine, and which runbooks have a `manual`
 * trigger (only those may be started here; the function's role can start only their machines).
 */
export const IncidentMachines = z
  .strictObject({ machines: z.record(RunbookId, MachineArn), manual: z.array(RunbookId) })
  .refine((value) => value.manual.every((id) => id in value.machines), { message: "every manual runbook must have a machine", path: ["manual"] });
export type IncidentMachines = z.infer<typeof IncidentMachines>;

/** The environment variable the stacks set (stacks/service-functions.ts). */
export const INCIDENT_MACHINES_ENV = "IRFLOW_INCIDENT_MACHINES";

/** Parses the environment's JSON at cold start; a bad value is a deployment error, named. */
export function incidentMachinesFrom(text: string | undefined): IncidentMachines {
  if (!text) throw new Error("IRFLOW_INCIDENT_MACHINES is not set");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error("IRFLOW_INCIDENT_MACHINES is not JSON");
  }
  const parsed = IncidentMachines.safeParse(raw);
  if (!parsed.success) throw new Error(`IRFLOW_INCIDENT_MACHINES: ${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** Who starts comes from the signature; these names in a body are refused, not ignored. */
const IDENTITY_FIELDS = ["requestedBy", STARTED_BY_FIELD, "requester", "caller", "actor", "userArn"] as const;
/** Inside detail, `actor` is the suspect the responder names (ManualDetail.actor), not a claim of who starts. */
const DETAIL_FIELDS_OF_ITS_OWN: ReadonlySet<string> = new Set(Object.keys(ManualDetail.shape));

/** Only what the responder says about the incident: the runbook and the manual event's detail. */
const StartBody = z.strictObject({ runbookId: RunbookId, detail: ManualDetail });
export type StartBody = z.infer<typeof StartBody>;

export interface StartIncidentPorts {
  readonly sfn: SFNClient;
  readonly machines: IncidentMachines;
  readonly clock: Clock;
  /** A fresh event id (a UUID); injected so tests can name it. */
  readonly newId?: () => string;
  /** Structured log lines (stdout in the Lambda). */
  readonly log?: (line: Record<string, unknown>) => void;
}

/** Region and account of a machine ARN: the manual event claims the account the incident runs in. */
function placeOf(machineArn: string): { region: string; account: string } {
  const [, , , region, account] = machineArn.split(":");
  return { region: region!, account: account! };
}

/**
 * The EventBridge-shaped manual event the incident machine starts with, plus the verified starter
 * beside `detail` (`startedBy`), where approval.request looks for the requester. Pure.
 */
export function manualEvent(body: StartBody, startedBy: string, place: { region: string; account: string }, id: string, now: Date): Record<string, unknown> {
  return {
    version: "0",
    id,
    "detail-type": MANUAL_DETAIL_TYPE,
    source: MANUAL_SOURCE,
    account: place.account,
    time: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: place.region,
    resources: [],
    detail: body.detail,
    [STARTED_BY_FIELD]: startedBy,
  };
}

/**
 * `POST /incidents` behind IAM (SigV4) authorization: starts a runbook's incident machine with a
 * manual event built here. Who starts is taken only from the signature (`requestContext
 * .authorizer.iam.userArn`) and recorded as `startedBy`, so the requester check of every approval
 * in the incident knows them: the starter cannot approve their own steps.
 *
 * Trust: `startedBy` is believed by approval.request because only this function can set it.
 * EventBridge rules hand their targets events whose top-level fields AWS sets; responders are
 * denied `states:StartExecution` on irflow's machines; this function's role may start only the
 * incident machines of runbooks with a `manual` trigger.
 */
export function createStartIncident(ports: StartIncidentPorts) {
  const newId = ports.newId ?? randomUUID;
  const log = ports.log ?? ((line) => process.stdout.write(`${JSON.stringify(line)}\n`));
  return async (event: HttpApiEvent): Promise<HttpResponse> => {
    const signed = signedCaller(event);
    if ("response" in signed) return signed.response;
    const { callerArn } = signed;
    if (event.routeKey !== START_INCIDENT_ROUTE) return failure(404, "no-route", `no route ${event.routeKey ?? "(none)"}`);
    const body = parseBody(event);
    if ("error" in body) return failure(400, "bad-request", body.error);
    const { runbookId } = body.value;
    const machineArn = ports.machines.machines[runbookId];
    if (!machineArn) return failure(404, "unknown-runbook", `no runbook ${runbookId} is deployed`);
    if (!ports.machines.manual.includes(runbookId)) return failure(400, "not-manual", `runbook ${runbookId} has no manual trigger; it starts only from its events`);
    const now = ports.clock.now();
    const id = newId();
    const input = manualEvent(body.value, callerArn, placeOf(machineArn), id, now);
    // What open-incident will do with it, done now: a refusal is a 400 here, not a failed execution.
    try {
      normalizeEvent(input, now);
    } catch (error) {
      if (isTaskError(error) && error.name === "InvalidInput") return failure(400, "bad-request", `body: ${error.message.replace(/^event /, "")}`);
      throw error;
    }
    const name = `manual-${id}`;
    try {
      const started = await ports.sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name, input: JSON.stringify(input) }));
      log({ level: "info", message: "started a manual incident", runbookId, eventId: id, executionArn: started.executionArn, startedBy: callerArn });
      return json(202, { runbookId, eventId: id, executionArn: started.executionArn, startedAt: (started.startDate ?? now).toISOString(), startedBy: callerArn });
    } catch (error) {
      return startFailed(error, runbookId, name, log);
    }
  };
}

function parseBody(event: HttpApiEvent): { value: StartBody } | { error: string } {
  const raw = jsonBody(event);
  if ("error" in raw) return raw;
  const named = identityField(raw.value);
  if (named) return { error: `body: ${named}: who starts an incident comes from the request's signature; remove it` };
  const parsed = StartBody.safeParse(raw.value);
  if (!parsed.success) return { error: `body: ${formatIssues(parsed.error.issues)}` };
  return { value: parsed.data };
}

function identityField(raw: unknown): string | undefined {
  const has = (value: unknown, key: string) => typeof value === "object" && value !== null && Object.hasOwn(value, key);
  const detail = has(raw, "detail") ? (raw as { detail: unknown }).detail : undefined;
  for (const key of IDENTITY_FIELDS) {
    if (has(raw, key)) return key;
    if (has(detail, key) && !DETAIL_FIELDS_OF_ITS_OWN.has(key)) return `detail.${key}`;
  }
  return undefined;
}

/** Throttling and 5xx are worth a retry (503 `Transient`); a name already used is 409; the rest 502, naming only the code. */
function startFailed(error: unknown, runbookId: string, name: string, log: (line: Record<string, unknown>) => void): HttpResponse {
  const code = awsErrorCode(error) ?? (error instanceof Error ? error.name : "Error");
  log({ level: "warn", message: "StartExecution failed", runbookId, execution: name, error: code });
  if (code === "ExecutionAlreadyExists") return failure(409, "already-started", `an execution named ${name} exists already; start again for a new incident`);
  const classified = classifyAwsError(error, `StartExecution ${runbookId}`);
  if (classified.name === "Transient" || code === "ExecutionLimitExceeded") return failure(503, "Transient", `Step Functions did not start ${runbookId} (${code}); try again shortly`);
  return failure(502, "start-failed", `Step Functions did not start ${runbookId} (${code})`);
}
