import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { loadScenario, type Scenario, type ScenarioOptions } from "../../../workflows/local/simulated-account/index.js";
import type { StateMachine } from "../../../workflows/compiler/asl.js";
import { loadGeneratedMachines } from "../../../workflows/local/generated-machines.js";
import { GENERATED_DIRECTORY, LocalIncidentRunner, type LocalIncidentRunnerOptions } from "../../../workflows/local/incident/local-incident-runner.js";
import { DATABASE_FILE, EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { tempDir } from "../../support/temp-dir.js";

/** The clock the scenarios are written for (key ages in iam-hygiene, block expiries). */
export const NOW = new Date("2026-11-24T12:00:00.000Z");
export const SCENARIOS = new URL("../../scenarios/", import.meta.url);

export async function scenarioNames(): Promise<string[]> {
  return (await readdir(SCENARIOS)).filter((file) => file.endsWith(".yaml")).map((file) => file.slice(0, -".yaml".length)).sort();
}

export function scenario(name: string, options: ScenarioOptions = {}): Promise<Scenario> {
  return loadScenario(new URL(`${name}.yaml`, SCENARIOS).pathname, { now: () => NOW, sleep: () => Promise.resolve(), ...options });
}

/** A runner for the scenario's runbook on its account: fixed clock, no retry waits, reports in a temporary directory. */
export async function runnerFor(s: Scenario, options: Partial<LocalIncidentRunnerOptions> = {}): Promise<LocalIncidentRunner> {
  const reportsDirectory = options.reportsDirectory ?? tempDir("irflow-reports-");
  return LocalIncidentRunner.create({ account: s.account, runbookIds: [s.runbook!], clock: { now: () => NOW }, retryDelayScale: 0, reportsDirectory, ...options });
}

/** The runbook's generated machines with every approval wait (its state and its desk deadline) cut to one second. */
export async function withShortApprovalWaits(runbookId: string): Promise<ReadonlyMap<string, StateMachine>> {
  const machines = await loadGeneratedMachines(GENERATED_DIRECTORY, [runbookId]);
  const shorten = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(shorten);
    if (node === null || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    if (typeof record.Resource === "string" && record.Resource.includes("waitForTaskToken")) {
      record.TimeoutSeconds = 1;
      (record.Parameters as { Payload: Record<string, unknown> }).Payload.timeoutSeconds = 1;
    }
    Object.values(record).forEach(shorten);
  };
  return new Map(
    [...machines].map(([key, machine]) => {
      const copy = structuredClone(machine);
      shorten(copy);
      return [key, copy];
    }),
  );
}

/**
 * A store file, as `irflow run` leaves one, holding one auto-approved incident of each named
 * scenario, run in order (reports under `<dir>/reports`); each incident's id, in the same order.
 */
export async function storeWithIncidents(label: string, scenarios: readonly string[]): Promise<{ readonly dir: string; readonly db: string; readonly incidentIds: string[] }> {
  const dir = tempDir(label);
  const db = join(dir, DATABASE_FILE);
  const database = EmbeddedDatabase.open({ path: db });
  try {
    const incidentIds: string[] = [];
    for (const name of scenarios) {
      const s = await scenario(name);
      const runner = await runnerFor(s, { database, reportsDirectory: join(dir, "reports") });
      incidentIds.push((await runner.runIncident({ runbookId: s.runbook!, event: s.event, approvals: "auto" })).incidentId!);
    }
    return { dir, db, incidentIds };
  } finally {
    database.close();
  }
}
