import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { isTaskError } from "../../functions/contract/errors.js";
import { normalizeEvent } from "../../functions/detect/normalize-event.js";
import openIncidentContract from "../../functions/detect/open-incident.contract.js";
import type { IncidentRunResult } from "../../workflows/local/incident/local-incident-runner.js";
import type { CallRecord, Scenario } from "../../workflows/local/simulated-account/index.js";
import { applyMutation, HOSTILE_STRINGS, mutation, pathsOf, withValue } from "./hostile-input.js";
import { awsIdProblems } from "./aws-id-formats.js";
import { NOW, runnerFor, scenario, scenarioNames, SEEDS } from "./support.js";

/**
 * Malformed and hostile events: each is refused with an error that names the field, recorded as
 * refused, and changes nothing; no hostile string reaches an AWS call.
 */

const names = await scenarioNames();
const scenarios = new Map<string, Scenario>(await Promise.all(names.map(async (name) => [name, await scenario(name)] as const)));
const baseEvents = names.map((name) => scenarios.get(name)!.event as unknown as Record<string, unknown>);

const REFUSED_RUNS = 1000;
const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:reliability-incident:x";
const samples = fc.sample(fc.tuple(fc.nat(), mutation), { seed: SEEDS.hostile, numRuns: 1600 });

type Oracle = { refused: true; message: string; field: string | undefined } | { refused: false };

/**
 * What detect.open-incident decides, without running it: its contract's input parse (zod's record
 * drops a top-level "__proto__" key rather than refusing it; nothing is polluted), then normalising.
 */
function oracle(event: unknown): Oracle {
  try {
    const parsed = openIncidentContract.input.safeParse({ event, runbook: { id: "reliability", revision: "r1" }, executionId: EXECUTION });
    normalizeEvent(parsed.success ? parsed.data.event : event, NOW);
    return { refused: false };
  } catch (error) {
    if (isTaskError(error) && error.name === "InvalidInput") return { refused: true, message: error.message, field: error.detail };
    throw error;
  }
}

const generated = samples.map(([which, m]) => {
  const index = which % baseEvents.length;
  return { scenario: names[index]!, mutation: m.kind, event: applyMutation(baseEvents[index]!, m) };
});

afterAll(() => {
  // No hostile `__proto__` key leaked into the shared prototype on the way.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
});

describe("bad input: generated malformed and hostile events (fast-check, fixed seed)", { timeout: 120_000 }, () => {
  it("normalising never throws anything but a named InvalidInput, and its message is bounded and printable", () => {
    let refused = 0;
    for (const { event } of generated) {
      const verdict = oracle(event);
      if (!verdict.refused) continue;
      refused += 1;
      expect(verdict.message).toMatch(/^event /);
      expect(verdict.message.length).toBeLessThan(1200);
      // No raw control or format character (newlines forging log lines, bidi overrides, zero-width).
      expect(verdict.message).not.toMatch(/[\p{Cc}\p{Cf}]/u);
      expect(verdict.field).toBeDefined();
    }
    expect(refused).toBeGreaterThanOrEqual(REFUSED_RUNS);
  });

  it(`${REFUSED_RUNS} refused events through the runner: detection-failed, recorded as refused, no AWS call made`, async () => {
    const refusedEvents = generated.filter((g) => oracle(g.event).refused).slice(0, REFUSED_RUNS);
    expect(new Set(refusedEvents.map((g) => g.mutation))).toEqual(new Set(["set", "delete-envelope", "pollute", "huge", "deep"]));
    const byScenario = new Map<string, typeof refusedEvents>();
    for (const g of refusedEvents) byScenario.set(g.scenario, [...(byScenario.get(g.scenario) ?? []), g]);

    for (const [name, events] of byScenario) {
      const s = await scenario(name);
      const runner = await runnerFor(s);
      const results: IncidentRunResult[] = [];
      for (let i = 0; i < events.length; i += 50) {
        results.push(...(await Promise.all(events.slice(i, i + 50).map((g) => runner.runIncident({ runbookId: s.runbook!, event: g.event, approvals: "auto" })))));
      }
      const unexpected = results.flatMap((r, i) => (r.status === "detection-failed" ? [] : [{ status: r.status, outcome: r.outcome, mutation: events[i]!.mutation, oracle: oracle(events[i]!.event) }]));
      expect(unexpected).toEqual([]);
      expect(results.every((r) => r.incidentId === undefined)).toBe(true);
      // Refused before anything reached the account: not a single call, let alone a change.
      expect(s.account.calls).toEqual([]);
      const refusals = runner.refusals.list();
      expect(refusals).toHaveLength(events.length);
      expect(new Set(refusals.map((r) => r.executionArn))).toEqual(new Set(results.map((r) => r.executionArn)));
      for (const r of refusals) {
        expect(r).toMatchObject({ runbookId: s.runbook, error: "DetectionFailed", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
        expect(r.reason).toMatch(/event /);
        expect(r.reason.length).toBeLessThanOrEqual(513);
      }
      // The execution history says so too.
      for (const result of results) expect(runner.engine.describeExecution(result.executionArn)?.status).toBe("FAILED");
    }
  }, 120_000);

  it("events that are not JSON objects at all (a string, an array, null, a number) are refused and recorded", async () => {
    const s = await scenario("ssh-rdp-brute-force");
    const runner = await runnerFor(s);
    const inputs: unknown[] = ["i-123; rm -rf /", [], [s.event], null, 42, true];
    for (const event of inputs) {
      const result = await runner.runIncident({ runbookId: s.runbook!, event: event as Record<string, unknown>, approvals: "auto" });
      expect({ event, status: result.status, outcome: result.outcome }).toMatchObject({ status: "detection-failed" });
    }
    expect(runner.refusals.list()).toHaveLength(inputs.length);
    expect(s.account.calls).toEqual([]);
  });
});

describe("bad input: hostile strings in every field irflow does not read", { timeout: 120_000 }, () => {
  it.each(names)("%s: the incident still runs, and every id any AWS call carries is in AWS's format", async (name) => {
    const base = baseEvents[names.indexOf(name)]!;
    // Each leaf that normalising ignores or cleans gets a hostile string; the validated ones keep theirs.
    let event: Record<string, unknown> = structuredClone(base);
    let replaced = 0;
    for (const [i, path] of pathsOf(base).leaves.entries()) {
      const candidate = withValue(event, path, HOSTILE_STRINGS[i % 14]!);
      if (!oracle(candidate).refused) {
        event = candidate;
        replaced += 1;
      }
    }
    expect(replaced).toBeGreaterThan(0);
    const s = await scenario(name);
    const runner = await runnerFor(s);
    const result = await runner.runIncident({ runbookId: s.runbook!, event, approvals: "auto" });
    expect(result.status).not.toBe("detection-failed");
    const problems = s.account.calls.flatMap((call: CallRecord) => awsIdProblems(call.service, call.command, call.input));
    expect(problems).toEqual([]);
  });
});
