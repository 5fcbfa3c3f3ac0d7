import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import * as z from "zod";
import { AccountId, Region } from "../../../functions/contract/aws-ids.js";
import { SimulatedAccount } from "./account.js";
import { formatPath, ResourceError } from "./errors.js";
import { FaultConfig } from "./faults.js";
import { isJsonInput, jsonSyntaxError } from "./json-syntax.js";
import { AccountResources } from "./resources.js";
import { yamlPosition } from "../yaml-position.js";

/**
 * A scenario file: an account with its resources, the EventBridge event that starts an incident,
 * optional faults, and free-form expectations for the tests that run it.
 *
 * ```yaml
 * description: SSH brute force on a web server in a public subnet
 * runbook: ssh-rdp-brute-force
 * account: { id: "123456789012", region: us-east-1 }
 * resources: { ec2: {…}, guardduty: {…}, sns: {…} }
 * event: { version: "0", detail-type: GuardDuty Finding, source: aws.guardduty, … }
 * faults: { throttleRate: 0.2, seed: 7 }
 * expect: { … }
 * ```
 */

const EventBridgeEvent = z.looseObject({
  version: z.literal("0"),
  id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be an event id (a UUID)"),
  "detail-type": z.string().min(1),
  source: z.string().regex(/^[a-z0-9.-]+$/, "must be an event source such as aws.guardduty"),
  account: AccountId,
  time: z.iso.datetime({ message: "must be an ISO 8601 time in UTC (2026-11-24T10:31:44Z)" }),
  region: Region,
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});
export type EventBridgeEvent = z.output<typeof EventBridgeEvent>;

export const ScenarioFile = z
  .strictObject({
    description: z.string().min(1),
    /** The runbook this scenario exercises (runbooks/<id>.md). */
    runbook: z.string().regex(/^[a-z][a-z0-9-]{2,40}$/).optional(),
    account: z.strictObject({ id: AccountId, region: Region }),
    resources: AccountResources.default({}),
    event: EventBridgeEvent,
    faults: FaultConfig.optional(),
    /** Notes for the tests that run the scenario; not interpreted here. */
    expect: z.unknown().optional(),
  })
  .superRefine((scenario, ctx) => {
    if (scenario.event.account !== scenario.account.id) ctx.addIssue({ code: "custom", path: ["event", "account"], message: `is ${scenario.event.account}, not the scenario's account ${scenario.account.id}` });
    if (scenario.event.region !== scenario.account.region) ctx.addIssue({ code: "custom", path: ["event", "region"], message: `is ${scenario.event.region}, not the scenario's region ${scenario.account.region}` });
  });
export type ScenarioFile = z.output<typeof ScenarioFile>;

export interface ScenarioIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/** A scenario that does not load: every problem with the file, field and (when known) line and column. */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
  constructor(
    readonly file: string,
    readonly issues: readonly ScenarioIssue[],
    /** What the file was meant to be: a scenario, or a lone event (`irflow run --event`). */
    what = "scenario",
  ) {
    super(`${file}: invalid ${what}\n${issues.map((i) => `  ${file}${i.line !== undefined ? `:${i.line}:${i.column ?? 1}` : ""}: ${formatPath(i.path)}: ${i.message}`).join("\n")}`);
  }
}

export interface Scenario {
  readonly file: string;
  readonly description: string;
  readonly runbook?: string | undefined;
  readonly account: SimulatedAccount;
  /** The raw EventBridge event, as the rule would deliver it. */
  readonly event: EventBridgeEvent;
  readonly faults?: z.output<typeof FaultConfig> | undefined;
  readonly expect?: unknown;
}

export interface ScenarioOptions {
  readonly now?: () => Date;
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** Overrides the file's faults (undefined in the file and here: none). */
  readonly faults?: z.input<typeof FaultConfig>;
  /** Replaces the file's event (`irflow run --event`); the account's `fromEvent` findings are seeded from it. */
  readonly event?: EventBridgeEvent;
}

/** An issue at a field, placed where the text has it: at its key (`key`, for a field that should not be there) or its value. */
type PlaceIssue = (path: readonly (string | number)[], message: string, place?: { readonly key?: boolean }) => ScenarioIssue;

/** The YAML (or JSON) text parsed, and where each field is; a syntax error is a ScenarioError naming line and column. */
function parsePlaced(text: string, file: string, what: string): { data: unknown; at: PlaceIssue } {
  // A JSON file is held to JSON: YAML would accept a trailing comma and word a truncation in YAML terms.
  const json = isJsonInput(file, text);
  const broken = json ? jsonSyntaxError(text) : undefined;
  if (broken) throw new ScenarioError(file, [{ path: [], message: `invalid JSON: ${broken.message}`, line: broken.line, column: broken.column }], what);
  // Then read as YAML (JSON is YAML) for the line and column of every field.
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { path: [], message: `invalid ${json ? "JSON" : "YAML"}: ${e.message.split("\n")[0] ?? e.message}`, line, column: col };
      }),
      what,
    );
  }
  return { data: doc.toJS({ maxAliasCount: 100 }), at: (path, message, place) => ({ path, message, ...yamlPosition(doc, lines, path, place) }) };
}

/** Parses and validates a scenario's text and builds its account; `file` names it in every error. */
export function parseScenario(text: string, file: string, options: ScenarioOptions = {}): Scenario {
  const { data, at } = parsePlaced(text, file, "scenario");
  return buildScenario(validScenario(data, file, at), file, options, at);
}

/**
 * A lone EventBridge event (JSON, or YAML), checked as a scenario's `event:` is; every error names
 * the file, the field and its line and column. It runs on a scenario's account (`irflow run --event`).
 */
export function parseEvent(text: string, file: string): EventBridgeEvent {
  const { data, at } = parsePlaced(text, file, "event");
  const parsed = EventBridgeEvent.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ScenarioError(
    file,
    parsed.error.issues.slice(0, 20).map((issue) => at(issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)), issue.code === "invalid_type" && issue.input === undefined ? "missing (an EventBridge event has version, id, detail-type, source, account, time, region, resources and detail)" : issue.message)),
    "event",
  );
}

/** Reads an event file (`irflow run --event`). */
export async function loadEvent(path: string): Promise<EventBridgeEvent> {
  return parseEvent(await readFile(path, "utf8"), path);
}

/**
 * A scenario from its already-parsed content (a generated fleet need not be written out as YAML
 * and read back); errors name the field, without a line.
 */
export function scenarioFromData(data: unknown, file: string, options: ScenarioOptions = {}): Scenario {
  const at: PlaceIssue = (path, message) => ({ path, message });
  return buildScenario(validScenario(data, file, at), file, options, at);
}

/** The scenario's content checked against its schema; the first 20 problems, each placed by `at`. */
function validScenario(data: unknown, file: string, at: PlaceIssue): z.output<typeof ScenarioFile> {
  const parsed = ScenarioFile.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ScenarioError(
    file,
    parsed.error.issues.slice(0, 20).flatMap((issue) => {
      const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
      if (issue.code === "unrecognized_keys") return issue.keys.map((key) => at([...path, key], `unknown field "${key}"`, { key: true }));
      return [at(path, issue.message)];
    }),
  );
}

function buildScenario(scenario: z.output<typeof ScenarioFile>, file: string, options: ScenarioOptions, at: PlaceIssue): Scenario {
  let account: SimulatedAccount;
  try {
    account = new SimulatedAccount({
      accountId: scenario.account.id,
      region: scenario.account.region,
      resources: scenario.resources,
      event: options.event ?? scenario.event,
      faults: options.faults ?? scenario.faults,
      ...(options.now ? { now: options.now } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
  } catch (error) {
    if (error instanceof ResourceError) throw new ScenarioError(file, [at(error.path, error.message.slice(formatPath(error.path).length + 2))]);
    throw error;
  }
  return { file, description: scenario.description, runbook: scenario.runbook, account, event: options.event ?? scenario.event, faults: options.faults ? FaultConfig.parse(options.faults) : scenario.faults, expect: scenario.expect };
}

/** Reads a scenario file (YAML) and builds its simulated account. */
export async function loadScenario(path: string, options: ScenarioOptions = {}): Promise<Scenario> {
  return parseScenario(await readFile(path, "utf8"), path, options);
}
