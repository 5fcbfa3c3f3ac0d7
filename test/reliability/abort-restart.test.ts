import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../workflows/local/simulated-account/random.js";
import type { IncidentProgress } from "../../workflows/local/incident/local-incident-runner.js";
import { changeKeys, runnerFor, scenario, SEEDS } from "./support.js";

/**
 * An operator (or a deploy) stops executions at any moment: each incident is aborted at a state
 * drawn from a seeded PRNG, then the same event is delivered again and the stopped phase is run
 * again (a redrive). No change is applied twice (the step journal runs each (incident, step)
 * once), and the history says the execution was aborted.
 */

const CASES = ["ssh-rdp-brute-force", "security-group-open-to-world", "public-s3-bucket", "iam-access-key-compromise", "ec2-instance-compromise", "network-acl-block-expiry"];
const random = new SeededRandom(SEEDS.abort);
const ROUNDS = 2;
let aborted = 0;

async function eventsInHealthyRun(name: string): Promise<number> {
  const s = await scenario(name);
  const runner = await runnerFor(s);
  let count = 0;
  await runner.runIncident({ runbookId: s.runbook!, event: s.event, approvals: "auto", onEvent: () => (count += 1) });
  return count;
}

describe("abort at a random state, then start again with the same event", { timeout: 120_000 }, () => {
  it.each(CASES)("%s: no change applied twice, the abort is in the history", async (name) => {
    const total = await eventsInHealthyRun(name);
    for (let round = 0; round < ROUNDS; round += 1) {
      // Somewhere after the incident opened (the first few events are the incident machine starting detect).
      const abortAt = 8 + Math.floor(random.next() * (total - 8));
      const s = await scenario(name);
      const runner = await runnerFor(s);
      const executionName = `reliability-${name}-${round}`;
      let seen = 0;
      let stopped = false;
      const progress: IncidentProgress[] = [];
      const result = await runner.runIncident({
        runbookId: s.runbook!,
        event: s.event,
        approvals: "auto",
        name: executionName,
        onEvent: (p) => {
          progress.push(p);
          seen += 1;
          if (seen === abortAt && !stopped) {
            stopped = true;
            // StartExecution with the same name and input returns the running execution: stop it.
            setImmediate(() => {
              try {
                runner.engine.start(`${s.runbook!}/incident`, s.event, { name: executionName }).abort("reliability suite: operator stop");
              } catch {
                // It ended first (ExecutionAlreadyExists for a stopped execution): nothing to stop.
              }
            });
          }
        },
      });
      const changesAfterAbort = changeKeys(s.account.calls);
      if (result.status !== "aborted") continue; // the draw fell after the end; nothing to check.
      aborted += 1;

      expect(progress.filter((p) => p.executionArn === result.executionArn).map((p) => p.event.type)).toContain("ExecutionAborted");
      expect(runner.engine.describeExecution(result.executionArn)?.status).toBe("ABORTED");

      // The same event again: it joins the incident the aborted run opened, and changes nothing.
      const again = await runner.runIncident({ runbookId: s.runbook!, event: s.event, approvals: "auto" });
      if (result.incidentId) expect(again).toMatchObject({ status: "joined", incidentId: result.incidentId });
      expect(changeKeys(s.account.calls)).toEqual(changesAfterAbort);

      // A redrive of every phase that did not finish: steps already done return their recorded result.
      const phases = progress.filter((p) => p.machineKey !== `${s.runbook!}/incident` && p.event.type === "ExecutionStarted");
      for (const phase of phases) {
        const description = runner.engine.describeExecution(phase.executionArn)!;
        if (description.status === "SUCCEEDED") continue;
        // Under the aborted incident, so the run keeps its approval policy (auto).
        const redriven = runner.engine.start(description.machineKey, description.input, { name: `${description.name}-redrive`, parentExecutionId: result.executionArn });
        const outcome = await redriven.result;
        expect(outcome.status).not.toBe("ABORTED");
      }
      const keys = changeKeys(s.account.calls);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it("most draws stopped a run that was still going", () => {
    expect(aborted).toBeGreaterThanOrEqual(CASES.length);
  });
});
