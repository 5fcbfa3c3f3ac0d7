import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveRunInputs, type RunInputPaths } from "../../cli/commands/run-inputs.js";
import { UsageError } from "../../cli/usage-error.js";
import { tempDir } from "../support/temp-dir.js";

const root = tempDir("irflow-run-inputs-");

/** A project with two generated runbooks, only one of which has a bundled scenario. */
const paths: RunInputPaths = { generatedDirectory: join(root, "generated"), scenariosDirectory: join(root, "scenarios") };
mkdirSync(paths.generatedDirectory);
mkdirSync(paths.scenariosDirectory);
const SSH_TRIGGERS = [
  {
    kind: "event",
    source: "guardduty",
    description: "GuardDuty findings UnauthorizedAccess:EC2/SSHBruteForce, UnauthorizedAccess:EC2/RDPBruteForce",
    pattern: { source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { type: ["UnauthorizedAccess:EC2/SSHBruteForce", "UnauthorizedAccess:EC2/RDPBruteForce"] } },
  },
];
const manifest = { runbooks: [{ id: "ssh-rdp-brute-force", triggers: SSH_TRIGGERS }, { id: "no-scenario-here", triggers: [{ kind: "manual", source: "manual", description: "started by a responder" }] }] };
writeFileSync(join(paths.generatedDirectory, "manifest.json"), JSON.stringify(manifest));
copyFileSync("test/scenarios/ssh-rdp-brute-force.yaml", join(paths.scenariosDirectory, "ssh-rdp-brute-force.yaml"));
const EVENT = "test/fixtures/events/guardduty-ssh-brute-force.json";
const SSH_TRIGGER_LIST = "its triggers: GuardDuty findings UnauthorizedAccess:EC2/SSHBruteForce, UnauthorizedAccess:EC2/RDPBruteForce";

async function usage(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message;
}

describe("resolveRunInputs", () => {
  it("defaults the scenario to the runbook's bundled one, and says so", async () => {
    const inputs = await resolveRunInputs("ssh-rdp-brute-force", {}, paths);
    expect(inputs.scenarioDefaulted).toBe(true);
    expect(inputs.scenarioPath).toBe(join(paths.scenariosDirectory, "ssh-rdp-brute-force.yaml"));
    expect(inputs.event).toBe(inputs.scenario.event);
    expect(inputs.eventPath).toBeUndefined();
  });

  it("plays an event file on the scenario's account: the account's findings are the event's", async () => {
    const inputs = await resolveRunInputs("ssh-rdp-brute-force", { event: EVENT }, paths);
    expect(inputs.eventPath).toMatch(/guardduty-ssh-brute-force\.json$/);
    expect(inputs.scenario.event).toEqual(inputs.event);
    expect(inputs.scenarioDefaulted).toBe(true);
  });

  it("refuses a runbook without generated machines, and one with neither a bundled scenario nor --scenario", async () => {
    expect(await usage(resolveRunInputs("nope", {}, paths))).toBe('no runbook "nope"; `irflow runbooks` lists them');
    expect(await usage(resolveRunInputs("no-scenario-here", { event: EVENT }, paths))).toMatch(/^no scenario for no-scenario-here: there is no .*no-scenario-here\.yaml; pass --scenario <file>/);
  });

  it("a missing scenario or event file is named", async () => {
    expect(await usage(resolveRunInputs("ssh-rdp-brute-force", { scenario: join(root, "gone.yaml") }, paths))).toContain("no such scenario file:");
    expect(await usage(resolveRunInputs("ssh-rdp-brute-force", { event: join(root, "gone.json") }, paths))).toContain("no such event file:");
    expect(await usage(resolveRunInputs("ssh-rdp-brute-force", { event: root }, paths))).toContain("is a folder; --event takes a file");
  });

  it("an event of another account names both", async () => {
    const other = join(root, "other-account.json");
    const event = JSON.parse(await import("node:fs/promises").then((fs) => fs.readFile(EVENT, "utf8"))) as Record<string, unknown>;
    writeFileSync(other, JSON.stringify({ ...event, account: "210987654321" }));
    expect(await usage(resolveRunInputs("ssh-rdp-brute-force", { event: other }, paths))).toMatch(/other-account\.json: account: is 210987654321, not the account of .*ssh-rdp-brute-force\.yaml \(account 123456789012, us-east-1\)/);
  });

  it("an event none of the runbook's triggers starts it with is refused, naming what it is and the triggers", async () => {
    const other = "test/fixtures/events/guardduty-iam-exfiltration.json";
    expect(await usage(resolveRunInputs("ssh-rdp-brute-force", { event: other }, paths))).toBe(
      `${other}: a GuardDuty finding of type UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS is not a trigger of ssh-rdp-brute-force (${SSH_TRIGGER_LIST})`,
    );
    expect(await usage(resolveRunInputs("ssh-rdp-brute-force", { event: "test/fixtures/events/schedule.json" }, paths))).toBe(
      `test/fixtures/events/schedule.json: a Scheduled Event is not a trigger of ssh-rdp-brute-force (${SSH_TRIGGER_LIST})`,
    );
  });

  it("a scenario's own event is held to the same triggers, --any-runbook or not", async () => {
    const scenario = "test/scenarios/iam-access-key-compromise.yaml";
    expect(await usage(resolveRunInputs("ssh-rdp-brute-force", { scenario, anyRunbook: true }, paths))).toBe(
      `${scenario}: event: a GuardDuty finding of type UnauthorizedAccess:IAMUser/MaliciousIPCaller is not a trigger of ssh-rdp-brute-force (${SSH_TRIGGER_LIST})`,
    );
    // A manual start is played by a runbook with a manual trigger.
    const manual = join(root, "manual-start.yaml");
    writeFileSync(manual, (await readFile(scenario, "utf8")).replace(/^runbook: .*$/m, "runbook: no-scenario-here"));
    expect(await usage(resolveRunInputs("no-scenario-here", { scenario: manual }, paths))).toMatch(/manual-start\.yaml: event: a GuardDuty finding of type \S+ is not a trigger of no-scenario-here \(its triggers: a manual start \(irflow\.manual\)\)$/);
    const hygiene = "test/scenarios/iam-hygiene.yaml";
    expect((await resolveRunInputs("no-scenario-here", { scenario: hygiene, anyRunbook: true, event: "test/fixtures/events/manual.json" }, paths)).event.source).toBe("irflow.manual");
  });
});
