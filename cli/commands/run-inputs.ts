import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import * as z from "zod";
import { loadEvent, loadScenario, ScenarioError, type EventBridgeEvent, type Scenario } from "../../workflows/local/simulated-account/index.js";
import { Trigger } from "../../stacks/manifest.js";
import { DEFAULT_GENERATED_DIR, PROJECT_ROOT } from "../project-paths.js";
import { UsageError } from "../usage-error.js";
import { checkEventTrigger } from "./event-trigger.js";

/** What `irflow run` needs before anything runs: a known runbook, the account to act on, the event to play. */
export interface RunInputs {
  readonly scenario: Scenario;
  readonly scenarioPath: string;
  /** True when no --scenario was given and the runbook's own (test/scenarios/<runbook>.yaml) was used. */
  readonly scenarioDefaulted: boolean;
  readonly event: EventBridgeEvent;
  /** The --event file, when the event is not the scenario's own. */
  readonly eventPath?: string;
}

export interface RunInputOptions {
  scenario?: string;
  event?: string;
  /** Run a scenario whose `runbook:` names another runbook. */
  anyRunbook?: boolean;
}

export interface RunInputPaths {
  readonly generatedDirectory: string;
  readonly scenariosDirectory: string;
}

export const DEFAULT_RUN_INPUT_PATHS: RunInputPaths = { generatedDirectory: DEFAULT_GENERATED_DIR, scenariosDirectory: join(PROJECT_ROOT, "test", "scenarios") };

const Manifest = z.object({ runbooks: z.array(z.object({ id: z.string(), triggers: z.array(Trigger) })) });
type GeneratedRunbook = z.infer<typeof Manifest>["runbooks"][number];

/** The runbooks with generated machines (the manifest's, with the triggers they are deployed with), the ones `irflow run` can play. */
async function generatedRunbooks(generatedDirectory: string): Promise<GeneratedRunbook[]> {
  return Manifest.parse(JSON.parse(await readFile(join(generatedDirectory, "manifest.json"), "utf8"))).runbooks;
}

/**
 * Resolves `irflow run <runbook> [--scenario <file>] [--event <file>]`: the scenario defaults to
 * the runbook's bundled one, an event file replaces the scenario's event on the scenario's account.
 * Every mistake a user can make here is a UsageError that names the file and field.
 */
export async function resolveRunInputs(runbookId: string, options: RunInputOptions, paths: RunInputPaths = DEFAULT_RUN_INPUT_PATHS): Promise<RunInputs> {
  const runbook = (await generatedRunbooks(paths.generatedDirectory)).find((one) => one.id === runbookId);
  if (!runbook) throw new UsageError(`no runbook "${runbookId}"; \`irflow runbooks\` lists them`);
  const bundled = join(paths.scenariosDirectory, `${runbookId}.yaml`);
  if (options.scenario === undefined && !existsSync(bundled)) {
    throw new UsageError(`no scenario for ${runbookId}: there is no ${displayPath(bundled)}; pass --scenario <file> (the simulated account${options.event === undefined ? " and the event" : " the event runs on"})`);
  }
  const scenarioPath = options.scenario === undefined ? bundled : resolve(options.scenario);
  const eventPath = options.event === undefined ? undefined : resolve(options.event);
  const event = eventPath === undefined ? undefined : await readInput(eventPath, "event", () => loadEvent(eventPath));
  const own = await readInput(scenarioPath, "scenario", () => loadScenario(scenarioPath));
  if (own.runbook !== undefined && own.runbook !== runbookId && options.anyRunbook !== true) {
    throw new UsageError(`${displayPath(scenarioPath)} is a scenario for ${own.runbook}, not ${runbookId}: run irflow run ${own.runbook}, or pass --any-runbook to play it against ${runbookId} anyway`);
  }
  // An event EventBridge would never route to this runbook is refused before anything is stored,
  // --any-runbook or not: the runbook would open an incident it cannot handle.
  if (!event || !eventPath) {
    checkEventTrigger(runbookId, runbook.triggers, own.event, `${displayPath(scenarioPath)}: event`);
    return { scenario: own, scenarioPath, scenarioDefaulted: options.scenario === undefined, event: own.event };
  }
  const eventFile = displayPath(eventPath);
  checkEventTrigger(runbookId, runbook.triggers, event, eventFile);
  const account = `${displayPath(scenarioPath)} (account ${own.account.accountId}, ${own.account.region})`;
  if (event.account !== own.account.accountId) throw new UsageError(`${eventFile}: account: is ${event.account}, not the account of ${account}; pass a --scenario for that account`);
  if (event.region !== own.account.region) throw new UsageError(`${eventFile}: region: is ${event.region}, not the region of ${account}; pass a --scenario for that region`);
  // Built again around the event: findings the account seeds from its event are this event's.
  const scenario = await readInput(scenarioPath, "scenario", () => loadScenario(scenarioPath, { event })).catch((error: unknown) => {
    throw error instanceof UsageError ? new UsageError(`${eventFile} does not fit ${account}: ${error.message}`) : error;
  });
  return { scenario, scenarioPath, scenarioDefaulted: options.scenario === undefined, event, eventPath };
}

/** A file the user named, read: a missing file, a folder or invalid content is a usage error. */
async function readInput<T>(path: string, what: "scenario" | "event", read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(error.message);
    const code = error instanceof Error && "code" in error ? error.code : undefined;
    if (code === "ENOENT") throw new UsageError(`no such ${what} file: ${displayPath(path)}`);
    if (code === "EISDIR") throw new UsageError(`${displayPath(path)} is a folder; --${what} takes a file${what === "scenario" ? " (test/scenarios/<runbook>.yaml)" : " (test/fixtures/events/*.json)"}`);
    if (code === "EACCES") throw new UsageError(`cannot read the ${what} file ${displayPath(path)} (permission denied)`);
    throw error;
  }
}

/** A path as a responder would type it: relative to the working folder when inside it. */
export function displayPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside.startsWith("..") || inside === "" ? path : inside;
}
