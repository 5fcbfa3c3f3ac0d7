import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
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
writeFileSync(join(paths.generatedDirectory, "manifest.json"), JSON.stringify({ runbooks: [{ id: "ssh-rdp-brute-force" }, { id: "no-scenario-here" }] }));
copyFileSync("test/scenarios/ssh-rdp-brute-force.yaml", join(paths.scenariosDirectory, "ssh-rdp-brute-force.yaml"));
const EVENT = "test/fixtures/events/guardduty-ssh-brute-force.json";

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
});
