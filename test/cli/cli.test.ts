/**
 * The CLI as a user runs it: `node bin/irflow.mjs …` in the project, colour off, every file it
 * reads or writes in temporary folders. Each run starts Node and tsx (about a second), so the
 * runs are few and each checks as much as it can.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { lineOf, SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { tempDir as makeTempDir } from "../support/temp-dir.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TIMEOUT = 30_000;
// ESC followed by [ : the start of an ANSI colour or cursor sequence.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(args: readonly string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["bin/irflow.mjs", ...args], { cwd: PROJECT_ROOT, env, timeout: TIMEOUT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(new Error(`irflow ${args.join(" ")} did not exit normally: ${error.message}\n${stderr}`));
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** Runs irflow; whatever the command, its output must be plain text (not a TTY, NO_COLOR=1). */
async function irflow(...args: string[]): Promise<Run> {
  const run = await exec(args);
  expect(run.stdout, `stdout of irflow ${args.join(" ")}`).not.toMatch(ANSI);
  expect(run.stderr, `stderr of irflow ${args.join(" ")}`).not.toMatch(ANSI);
  return run;
}

// Kept until the file is done, as before: a run's child process may still write after its test ends.
const tempDir = (label: string): string => makeTempDir(`irflow-cli-${label}-`, "file");

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe("irflow", () => {
  it(
    "--help lists the commands and exits 0",
    async () => {
      const run = await irflow("--help");
      expect(run.code).toBe(0);
      for (const command of ["lint", "compile", "graph", "runbooks", "tasks"]) expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
      expect(run.stdout).toContain("Exit codes");
    },
    TIMEOUT,
  );

  it(
    "runbooks --json lists each runbook's id, title, severity, file, triggers and steps per phase, and nothing meant only for the text output",
    async () => {
      const run = await irflow("runbooks", "--json");
      expect(run.code).toBe(0);
      const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
      const ids = readdirSync(join(PROJECT_ROOT, "runbooks"))
        .filter((name) => name.endsWith(".md") && name !== "README.md")
        .map((name) => name.slice(0, -3));
      expect(rows.map((row) => row.id).sort()).toEqual(ids.sort());
      const demo = rows.find((row) => row.id === "ssh-rdp-brute-force")!;
      expect(Object.keys(demo)).toEqual(["id", "title", "severity", "file", "triggers", "phases"]);
      expect(demo.triggers).toEqual([expect.stringContaining("UnauthorizedAccess:EC2/SSHBruteForce")]);
      expect(Object.keys(demo.phases as object)).toEqual(["detect", "contain", "eradicate", "recover", "post-incident"]);
      expect((demo.phases as Record<string, string[]>).contain).toContain("Close the port to the internet");
    },
    TIMEOUT,
  );

  it(
    "an unknown command is a usage error (exit 2)",
    async () => {
      const run = await irflow("frobnicate");
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
      expect(run.stdout).toBe("");
    },
    TIMEOUT,
  );
});

describe("irflow lint", () => {
  it(
    "reports every error of a broken runbook as file:line:column: error[code] and exits 1",
    async () => {
      const dir = tempDir("lint-broken");
      const text = SAMPLE_RUNBOOK.replace("task: ec2.isolate-instance # @isolate-task", "task: ec2.isolate-instanse # @isolate-task").replace(
        "instanceId: $.resource.instanceId # @describe-input",
        "instanceId: $.resource.instanceID # @describe-input",
      );
      const file = join(dir, "broken.md");
      writeFileSync(file, text);
      const run = await irflow("lint", file);
      expect(run.code).toBe(1);
      const lines = run.stderr.split("\n");
      const located = (code: string, marker: string) => new RegExp(`^\\S*broken\\.md:${lineOf(text, marker)}:\\d+: error\\[${code}\\]: `);
      expect(lines.some((l) => located("unresolved-path", "@describe-input").test(l)), run.stderr).toBe(true);
      expect(lines.some((l) => located("unknown-task", "@isolate-task").test(l)), run.stderr).toBe(true);
      // Sorted by line, with the hint under the problem, and a summary.
      expect(run.stderr.indexOf("error[unresolved-path]")).toBeLessThan(run.stderr.indexOf("error[unknown-task]"));
      expect(run.stderr).toMatch(/error\[unknown-task\]: .*\n\s+hint: did you mean "ec2\.isolate-instance"/);
      expect(run.stderr).toMatch(/failed: 1 runbook checked, 0 compiled; 2 errors/);
      expect(run.stdout).toBe("");
    },
    TIMEOUT,
  );

  it(
    "a step block that fails its schema does not hide the file's other problems",
    async () => {
      const dir = tempDir("lint-step-block");
      // The reviewer's case: one step's approval: misspelt, another's task.
      const text = readFileSync(join(PROJECT_ROOT, "runbooks/ssh-rdp-brute-force.md"), "utf8").replace("approval: required", "approval: requred").replace("task: ec2.block-ip", "task: ec2.blok-ip");
      const file = join(dir, "x.md");
      writeFileSync(file, text);
      const run = await irflow("lint", file);
      expect(run.code).toBe(1);
      const errors = run.stderr.split("\n").filter((line) => line.includes(": error["));
      expect(errors).toEqual([
        expect.stringMatching(new RegExp(`x\\.md:${lineOf(text, "task: ec2.blok-ip")}:\\d+: error\\[unknown-task\\]: unknown task "ec2\\.blok-ip"$`)),
        expect.stringMatching(new RegExp(`x\\.md:${lineOf(text, "approval: requred")}:\\d+: error\\[step-block\\]: step "Close the port to the internet" "approval": Invalid option`)),
      ]);
      expect(run.stderr).toMatch(/failed: 1 runbook checked, 0 compiled; 2 errors, 0 warnings/);
    },
    TIMEOUT,
  );

  it(
    "accepts a valid runbook and exits 0",
    async () => {
      const dir = tempDir("lint-valid");
      const file = join(dir, "sample.md");
      writeFileSync(file, SAMPLE_RUNBOOK);
      const run = await irflow("lint", file);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/ok: 1 runbook checked, 1 compiled; 0 errors, 0 warnings/);
      expect(run.stderr).not.toMatch(/error\[/);
    },
    TIMEOUT,
  );

  it(
    "a file that does not exist is a usage error (exit 2)",
    async () => {
      const run = await irflow("lint", "/no/such/file");
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("no such file or folder: /no/such/file");
    },
    TIMEOUT,
  );
});

describe("irflow demo", () => {
  it(
    "runs the bundled brute-force incident unattended with --approve, from finding to a written report",
    async () => {
      const run = await irflow("demo", "--approve", "--dir", tempDir("demo-state"));
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/contain\s+Block the attacking address/);
      // The one approval, closing SSH to the internet, answered by --approve.
      expect(run.stdout).toMatch(/contain\s+Approve: Close the port to the internet/);
      expect(run.stdout).toMatch(/post-incident\s+Close incident/);
      expect(run.stdout).toMatch(/resolved {2}incident inc-\d{8}-[0-9a-f]{12}/);
      const report = /report: (\S+\.md)/.exec(run.stdout)?.[1];
      expect(report).toBeDefined();
      const text = readFileSync(report!, "utf8");
      expect(text).toContain("UnauthorizedAccess:EC2/SSHBruteForce");
      expect(text).toMatch(/\| contain\/close-the-port-to-the-internet \| approved \| irflow-local \(auto-approve\) \|/);
      expect(text).toContain("RevokeSecurityGroupIngress sgr-0cc33dd44ee55ff66");
      expect(run.stderr).not.toContain("NodeVersionSupportWarning");
    },
    TIMEOUT,
  );

  it(
    "refuses to wait for approvals it cannot ask for (no terminal, no --approve): exit 2",
    async () => {
      const run = await irflow("demo");
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("pass --approve");
    },
    TIMEOUT,
  );
});

describe("irflow compile", () => {
  it(
    "refuses an empty runbooks folder instead of deleting every generated file (exit 2)",
    async () => {
      const runbooks = tempDir("empty-runbooks");
      const out = tempDir("out-kept");
      writeFileSync(join(out, "manifest.json"), "{}\n");
      const run = await irflow("compile", "--runbooks", runbooks, "--out", out);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("no runbooks in");
      expect(files(out)).toEqual(["manifest.json"]);
    },
    TIMEOUT,
  );

  it(
    "writes the definitions and the manifest, then --check finds them fresh, then stale after an edit",
    async () => {
      const runbooks = tempDir("runbooks");
      writeFileSync(join(runbooks, "sample.md"), SAMPLE_RUNBOOK);
      const out = join(tempDir("generated"), "generated");

      const compiled = await irflow("compile", "--runbooks", runbooks, "--out", out);
      expect(compiled.code, compiled.stderr).toBe(0);
      const machines = ["detect", "contain", "eradicate", "recover", "post-incident", "incident"];
      expect(files(out)).toEqual(["manifest.json", ...machines.map((m) => `sample-compromise/${m}.asl.json`)].sort());
      const contain = JSON.parse(readFileSync(join(out, "sample-compromise/contain.asl.json"), "utf8")) as { StartAt: string; States: Record<string, unknown> };
      expect(contain.StartAt).toBe("Plan: Isolate the instance");
      const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { runbooks: { id: string }[]; machines: { name: string }[] };
      expect(manifest.runbooks.map((r) => r.id)).toEqual(["sample-compromise"]);
      expect(manifest.machines).toHaveLength(6);
      expect(compiled.stderr).toMatch(/compiled 1 runbooks into 6 machines/);

      const fresh = await irflow("compile", "--check", "--runbooks", runbooks, "--out", out);
      expect(fresh.code, fresh.stderr).toBe(0);
      expect(fresh.stderr).toMatch(/fresh/);

      const edited = join(out, "sample-compromise/eradicate.asl.json");
      writeFileSync(edited, readFileSync(edited, "utf8").replace('"TimeoutSeconds": 7200', '"TimeoutSeconds": 60'));
      const stale = await irflow("compile", "--check", "--runbooks", runbooks, "--out", out);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toMatch(/stale/);
      expect(stale.stderr).toMatch(/changed\s+sample-compromise\/eradicate\.asl\.json/);
      expect(stale.stderr).not.toMatch(/contain\.asl\.json|manifest\.json/);
      // --check wrote nothing: the edit is still there.
      expect(readFileSync(edited, "utf8")).toContain('"TimeoutSeconds": 60');
    },
    3 * TIMEOUT,
  );
});

describe("irflow graph", () => {
  it(
    "prints a Mermaid flowchart of a phase, with the approval as a hexagon",
    async () => {
      const dir = tempDir("graph");
      const file = join(dir, "sample.md");
      writeFileSync(file, SAMPLE_RUNBOOK);
      const run = await irflow("graph", file, "contain");
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain("flowchart TD");
      expect(run.stdout).toContain('title: "Sample instance compromise: contain"');
      expect(run.stdout).toMatch(/s\d+\{\{"Approve: Isolate the instance"\}\}:::approval/);
      expect(run.stdout).toMatch(/s\d+\["Isolate the instance"\]/);
      // Only the contain phase is drawn.
      expect(run.stdout).not.toContain("Terminate the instance");
    },
    TIMEOUT,
  );

  it(
    "refuses a runbook id none declares at once (exit 2), without the other runbooks' lint; a known one prints with no lint either",
    async () => {
      const [unknown, known] = await Promise.all([irflow("graph", "nope"), irflow("graph", "iam-access-key-compromise", "contain")]);
      expect(unknown).toEqual({ code: 2, stdout: "", stderr: 'error: no runbook "nope"; `irflow runbooks` lists them\n' });
      // This runbook has a manual-step warning: graph is not lint, and says nothing of it.
      expect(known.code).toBe(0);
      expect(known.stderr).toBe("");
      expect(known.stdout).toContain('title: "IAM credential compromise: contain"');
    },
    TIMEOUT,
  );

  it(
    "refuses an unknown phase as a usage error",
    async () => {
      const run = await irflow("graph", "sample-compromise", "containment");
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/unknown phase "containment"/);
      expect(run.stdout).toBe("");
    },
    TIMEOUT,
  );
});

describe("irflow tasks", () => {
  it(
    "--json lists the tasks with their risk and inputs, without the compiler's own",
    async () => {
      const run = await irflow("tasks", "--json");
      expect(run.code).toBe(0);
      const tasks = JSON.parse(run.stdout) as { name: string; risk: string; inputs: string[]; iam: string[] }[];
      const isolate = tasks.find((t) => t.name === "ec2.isolate-instance");
      expect(isolate).toMatchObject({ risk: "reversible", inputs: ["instanceId", "quarantineGroupId?"] });
      expect(isolate!.iam).toContain("ec2:ModifyInstanceAttribute");
      expect(tasks.find((t) => t.name === "ec2.terminate-instance")?.risk).toBe("destructive");
      expect(tasks.find((t) => t.name === "ec2.describe-instance")?.risk).toBe("read");
      expect(tasks.map((t) => t.name)).not.toContain("approval.request");
      expect(tasks.map((t) => t.name)).not.toContain("detect.open-incident");
    },
    TIMEOUT,
  );
});
