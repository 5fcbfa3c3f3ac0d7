/**
 * `irflow run` as a responder meets it: which scenario and event it plays, the mistakes it
 * refuses as usage errors (exit 2, no stack trace), the approval lines of a --no-prompt run and
 * the readable last lines of a run that did not resolve. Every run uses a temporary state folder.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cliEnv, irflow } from "../support/irflow-cli.js";
import { tempDir as makeTempDir } from "../support/temp-dir.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const GATED = "iam-access-key-compromise";
// Kept until the file is done, as before: a run's child process may still write after its test ends.
const tempDir = (): string => makeTempDir("irflow-cli-run-", "file");

/** A usage error: exit 2, the message on stderr, never "internal error" or a stack. */
function expectUsage(run: { code: number; stderr: string }, message: string | RegExp): void {
  expect(run.stderr).not.toContain("internal error");
  expect(run.stderr).not.toMatch(/\n\s+at /);
  if (typeof message === "string") expect(run.stderr).toContain(message);
  else expect(run.stderr).toMatch(message);
  expect(run.code).toBe(2);
}

/** A --no-prompt run of the gated runbook; `until` resolves once its output matches. */
function startRun(dir: string) {
  const child = spawn(process.execPath, ["bin/irflow.mjs", "run", GATED, "--no-prompt", "--as", "alice", "--dir", dir], { cwd: PROJECT_ROOT, env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(output);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    check();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.on("exit", (code) => resolve({ code, output })));
  const until = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve) => {
      waiters.push({ pattern, resolve });
      check();
    });
  return { exited, until };
}

describe("irflow run: what it plays", { timeout: 120_000 }, () => {
  it("--event plays that event on the runbook's own scenario account, and the header says which files", async () => {
    const run = await irflow("run", "ssh-rdp-brute-force", "--event", "test/fixtures/events/guardduty-ssh-brute-force.json", "--approve", "--dir", tempDir());
    expect(run.stdout.split("\n")[0]).toContain("scenario test/scenarios/ssh-rdp-brute-force.yaml (the runbook's own), event test/fixtures/events/guardduty-ssh-brute-force.json");
    expect(run.stdout).toMatch(/resolved {2}incident inc-/);
    expect(run.code).toBe(0);
  });

  it("without --scenario or --event, the runbook's bundled scenario", async () => {
    const run = await irflow("run", GATED, "--approve", "--dir", tempDir());
    expect(run.stdout.split("\n")[0]).toContain(`scenario test/scenarios/${GATED}.yaml (the runbook's own)`);
    expect(run.code).toBe(0);
  });

  it("--help shows --event, the default scenario, examples and the y/n/l prompt", async () => {
    const run = await irflow("run", "--help");
    expect(run.stdout).toContain("--event <file>");
    expect(run.stdout).toContain("default test/scenarios/<runbook>.yaml");
    expect(run.stdout).toContain("--any-runbook");
    expect(run.stdout).toContain("approve? [y/n/l]");
    expect(run.code).toBe(0);
  });
});

describe("irflow run: live progress", { timeout: 120_000 }, () => {
  it("a refused item's failure says which state and why, once per failure; a guarded step its when: skips says skipped", async () => {
    const run = await irflow("run", "iam-hygiene", "--approve", "--dir", tempDir());
    const failures = run.stdout.split("\n").filter((line) => / failed: /.test(line));
    // One user (break-glass, tagged exempt) is refused twice: by the dry run and by the action.
    const reason = "PreconditionFailed: user break-glass is tagged irflow:exempt; irflow will not change it automatically";
    expect(failures).toEqual([`  contain       Plan each: Deactivate keys past 90 days failed: ${reason}`, `  contain       Each: Deactivate keys past 90 days failed: ${reason}`]);
    expect(run.stdout).toContain("  post-incident Hand over a stopped run: skipped (its when: condition does not hold: $.failure is missing)\n");
    expect(run.stdout).not.toContain("Check: Hand over a stopped run");
    // A guarded step that runs keeps its Check line, followed by its own.
    expect(run.stdout).toContain("  contain       Check: Deactivate keys past 90 days\n  contain       Count: Deactivate keys past 90 days\n");
    expect(run.stdout).toMatch(/resolved {2}incident inc-/);
    expect(run.code).toBe(0);
  });
});

describe("irflow run: usage errors, not internal ones", { timeout: 120_000 }, () => {
  it("an unknown runbook", async () => {
    expectUsage(await irflow("run", "nope", "--scenario", "test/scenarios/ssh-rdp-brute-force.yaml", "--approve", "--dir", tempDir()), 'no runbook "nope"; `irflow runbooks` lists them');
  });

  it("a folder as the scenario", async () => {
    expectUsage(await irflow("run", "ssh-rdp-brute-force", "--scenario", "test/scenarios", "--approve", "--dir", tempDir()), "test/scenarios is a folder; --scenario takes a file");
  });

  it("a scenario written for another runbook names both (and --any-runbook plays it anyway, when its event is a trigger of the runbook)", async () => {
    const args = ["run", "ssh-rdp-brute-force", "--scenario", `test/scenarios/${GATED}.yaml`, "--approve", "--dir", tempDir()];
    expectUsage(await irflow(...args), `test/scenarios/${GATED}.yaml is a scenario for ${GATED}, not ssh-rdp-brute-force`);
    // --any-runbook waives the scenario's runbook: field, not the runbook's triggers.
    expectUsage(await irflow(...args, "--any-runbook"), `test/scenarios/${GATED}.yaml: event: a GuardDuty finding of type UnauthorizedAccess:IAMUser/MaliciousIPCaller is not a trigger of ssh-rdp-brute-force`);
    const forced = await irflow("run", "network-acl-block-expiry", "--scenario", "test/scenarios/iam-hygiene.yaml", "--approve", "--dir", tempDir(), "--any-runbook");
    expect(forced.stderr).not.toContain("is a scenario for");
    expect(forced.stdout.split("\n")[0]).toContain("scenario test/scenarios/iam-hygiene.yaml");
    expect(forced.code).not.toBe(2);
  });

  it("an event the runbook's triggers would never start it with: refused before a store exists", async () => {
    const dir = join(tempDir(), "store");
    const event = "test/fixtures/events/guardduty-iam-exfiltration.json";
    const run = await irflow("run", "ssh-rdp-brute-force", "--approve", "--event", event, "--dir", dir);
    expectUsage(run, `${event}: a GuardDuty finding of type UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS is not a trigger of ssh-rdp-brute-force (its triggers: GuardDuty findings UnauthorizedAccess:EC2/SSHBruteForce, UnauthorizedAccess:EC2/RDPBruteForce, Recon:EC2/PortProbeUnprotectedPort)\n`);
    expect(run.stdout).toBe("");
    expect(existsSync(dir)).toBe(false);
  });

  it("an invalid event file names the file, line, column and field; one of another region names both", async () => {
    const dir = tempDir();
    const bad = join(dir, "event.json");
    writeFileSync(bad, '{\n  "version": "0",\n  "id": "not-a-uuid"\n}\n');
    const run = await irflow("run", "ssh-rdp-brute-force", "--event", bad, "--approve", "--dir", dir);
    expectUsage(run, `${bad}: invalid event`);
    expect(run.stderr).toContain(`${bad}:3:9: id: must be an event id (a UUID)`);
    expect(run.stderr).toMatch(/source: missing/);
    const elsewhere = join(dir, "eu-west-1.json");
    writeFileSync(elsewhere, JSON.stringify({ ...(JSON.parse(readFileSync("test/fixtures/events/guardduty-ssh-brute-force.json", "utf8")) as object), region: "eu-west-1" }));
    const region = await irflow("run", "ssh-rdp-brute-force", "--event", elsewhere, "--approve", "--dir", dir);
    expectUsage(region, `${elsewhere}: region: is eu-west-1, not the region of test/scenarios/ssh-rdp-brute-force.yaml`);
  });

  it("--approve with --no-prompt, and an empty --as", async () => {
    expectUsage(await irflow("run", GATED, "--approve", "--no-prompt", "--dir", tempDir()), "--approve and --no-prompt contradict each other");
    expectUsage(await irflow("demo", "--approve", "--no-prompt", "--dir", tempDir()), "--approve and --no-prompt contradict each other");
    expectUsage(await irflow("run", GATED, "--as", "", "--approve", "--dir", tempDir()), "--as needs a name");
  });
});

describe("irflow run --no-prompt", { timeout: 120_000 }, () => {
  it("prints how to answer each approval from another terminal, the answer when it comes, and why the run failed in words", async () => {
    const dir = tempDir();
    const run = startRun(dir);
    const [, id, digest] = await run.until(/irflow approve (apr-\S+) --digest ([0-9a-f]{12}) --reason "…" --as alice --role IncidentResponder --dir (\S+)/);
    const before = (await run.until(/irflow reject \S+ --reason "…"/)).input;
    expect(before).toMatch(new RegExp(`id ${id}  digest ${digest}  answer before \\d{4}-\\d\\d-\\d\\dT`));
    expect(before).toContain("may answer: IncidentResponder");

    const rejected = await irflow("reject", id!, "--reason", "not that key", "--as", "bob", "--role", "IncidentResponder", "--dir", dir);
    expect(rejected.code).toBe(0);
    const { code, output } = await run.exited;
    expect(output).toContain("rejected: Deactivate the access key by bob: not that key");
    expect(output).toMatch(/ {2}contain +Approve: Deactivate the access key failed: Rejected: rejected by bob: not that key\n/);
    expect(output).toMatch(/failed {2}incident inc-\S+\n {2}contain failed: rejected by bob: not that key\n/);
    expect(output).not.toContain('{"ExecutionArn"');
    expect(code).toBe(1);
  });

  it("the printed approve command works pasted as-is into another terminal: it names who answers, as which role", async () => {
    const dir = tempDir();
    const run = startRun(dir);
    const [approve] = await run.until(/irflow approve apr-\S+ --digest [0-9a-f]{12} --reason "…" --as alice --role IncidentResponder --dir \S+/);
    const pasted = execFileSync("sh", ["-c", approve.replace(/^irflow /, `"${process.execPath}" bin/irflow.mjs `)], { cwd: PROJECT_ROOT, env: cliEnv(), encoding: "utf8" });
    expect(pasted).toContain("approved");
    const { code, output } = await run.exited;
    expect(output).toContain("approved: Deactivate the access key by alice: …");
    expect(output).toMatch(/resolved {2}incident inc-/);
    expect(code).toBe(0);
  });

  it("says when the approval is withdrawn and the phase aborted by irflow abort", async () => {
    const dir = tempDir();
    const run = startRun(dir);
    await run.until(/irflow reject \S+ --reason "…"/);
    const target = /inc-\d{8}-[0-9a-f]{12}/.exec((await irflow("incidents", "--dir", dir)).stdout)?.[0];
    expect(target).toBeDefined();
    const aborted = await irflow("abort", target!, "--reason", "a test key", "--as", "bob", "--dir", dir);
    expect(aborted.code).toBe(0);
    const { code, output } = await run.exited;
    expect(output).toContain("withdrawn: Deactivate the access key: the incident was aborted by bob: a test key");
    expect(output).toMatch(/ {2}contain +phase aborted by bob: a test key/);
    expect(output).toMatch(/aborted {2}incident inc-\S+\n {2}contain aborted by bob: a test key\n/);
    expect(code).toBe(1);
  });
});
