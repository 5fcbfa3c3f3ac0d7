import { SeededRandom } from "../../workflows/local/simulated-account/random.js";
import type { CallRecord, FaultConfigInput, Scenario } from "../../workflows/local/simulated-account/index.js";
import type { LocalIncidentRunner, LocalIncidentRunnerOptions } from "../../workflows/local/incident/local-incident-runner.js";
import { runnerFor, scenario } from "../local/incident/support.js";

export { NOW, scenarioNames, SCENARIOS } from "../local/incident/support.js";

/** Fixed seeds: every run of the suite draws the same faults, aborts and hostile inputs. */
export const SEEDS = { faults: 20261124, latency: 7, abort: 4242, hostile: 1337, runbooks: 99 } as const;

/** Waits 0–2 ms per call, drawn from a seeded PRNG: real interleaving, still fast. */
export function seededLatency(seed: number): (milliseconds: number) => Promise<void> {
  const random = new SeededRandom(seed);
  return () => new Promise((resolve) => setTimeout(resolve, Math.floor(random.next() * 3)));
}

/** The scenario on a throttled, slow account (30% of calls refused with the service's throttling error). */
export function faultedScenario(name: string, seed: number = SEEDS.faults): Promise<Scenario> {
  const faults: FaultConfigInput = { seed, throttleRate: 0.3, latencyMs: 1 };
  return scenario(name, { faults, sleep: seededLatency(seed ^ SEEDS.latency) });
}

export { runnerFor, scenario };
export type { LocalIncidentRunner, LocalIncidentRunnerOptions };

/** Successful changes by `service:Command`, counted. */
export function changeCounts(calls: readonly CallRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) if (call.mutating && call.outcome === "ok" && !call.dryRun) counts[`${call.service}:${call.command}`] = (counts[`${call.service}:${call.command}`] ?? 0) + 1;
  return counts;
}

/** Calls that are repeated by design, not changes: the credential report is requested until it is ready. */
const POLLED = new Set(["iam:GenerateCredentialReport"]);

/** Successful changes, each with its input: two identical entries are one change applied twice. */
export function changeKeys(calls: readonly CallRecord[]): string[] {
  return calls.filter((c) => c.mutating && c.outcome === "ok" && !c.dryRun && !POLLED.has(`${c.service}:${c.command}`)).map((c) => `${c.service}:${c.command} ${JSON.stringify(c.input)}`);
}

/** The account's state with incident ids (random per run) replaced, so two runs can be compared. */
export function comparableState(s: Scenario, incidentIds: readonly string[]): unknown {
  let json = JSON.stringify(s.account.snapshot());
  for (const id of incidentIds) json = json.replaceAll(id, "inc-XXXXXXXX-XXXXXXXXXXXX");
  // The memory capture's command comment carries a random nonce after the incident id.
  json = json.replace(/(inc-XXXXXXXX-XXXXXXXXXXXX) [0-9a-f]{16}/g, "$1 NONCE");
  return JSON.parse(json) as unknown;
}

/** Every string anywhere in a JSON value (keys included). */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === "string") out.push(node);
    else if (Array.isArray(node)) stack.push(...(node as unknown[]));
    else if (node !== null && typeof node === "object") {
      for (const [key, child] of Object.entries(node)) {
        out.push(key);
        stack.push(child);
      }
    }
  }
  return out;
}

/** A responder allowed to answer every step of the project's runbooks (responder and lead roles). */
export function responder(name: string): { actor: string; principals: string[] } {
  return { actor: name, principals: ["arn:aws:iam::123456789012:role/IncidentResponder", "arn:aws:iam::123456789012:role/IncidentLead"] };
}

/** Answers every approval the run asks for (two people for two-person steps) until the run settles. */
export async function approveUntilSettled<T>(runner: LocalIncidentRunner, run: Promise<T>, reason = "reliability suite"): Promise<T> {
  let settled = false;
  const watched = run.finally(() => (settled = true));
  while (!settled) {
    const [pending] = await runner.approvals.list();
    if (!pending) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      continue;
    }
    for (const who of ["alice", "bob"]) {
      await runner.approvals.approve(pending.id, { as: responder(who), reason, digest: pending.digest }).catch(() => undefined);
    }
  }
  return watched;
}
