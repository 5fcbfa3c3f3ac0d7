import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { OpenOrJoinResult } from "../../../functions/detect/incident-store.js";
import type { StepRecord } from "../../../functions/runtime/step-journal.js";
import { DATABASE_FILE, MIGRATIONS } from "../../../workflows/local/store/embedded-database.js";
import { SqliteApprovals, type DecideResult } from "../../../workflows/local/store/sqlite-approvals.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { SqliteIncidentStore } from "../../../workflows/local/store/sqlite-incident-store.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

const PROJECT_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/race.ts", import.meta.url));
const CONTENDERS = 4;
const TIMEOUT_MS = 20_000;
/** Subjects each contender races on, in the same order: enough that their transactions overlap. */
const SUBJECTS = 200;

/** Starts one process per contender, lets them all go at once, and returns what each printed. */
async function race<T>(path: string, action: string, extra: string[] = []): Promise<T[]> {
  const children = Array.from({ length: CONTENDERS }, (_, worker) =>
    spawn(process.execPath, ["--import", "tsx", FIXTURE, path, action, String(worker), ...extra], { cwd: PROJECT_ROOT, stdio: "pipe" }),
  );
  const outputs = children.map((child) => collect(child));
  await Promise.all(outputs.map((output) => output.ready));
  for (const child of children) child.stdin.end("go\n");
  const lines = await Promise.all(outputs.map((output) => output.done));
  return lines.map((line) => JSON.parse(line) as T);
}

function collect(child: ChildProcessWithoutNullStreams): { ready: Promise<void>; done: Promise<string> } {
  let stdout = "";
  let stderr = "";
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => child.kill(), TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.startsWith("ready\n")) markReady();
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("close", (code) => {
      clearTimeout(timer);
      markReady();
      const result = stdout.split("\n").filter((line) => line !== "" && line !== "ready").at(-1);
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`contender exited ${code}: ${stderr || stdout}`));
    });
  });
  return { ready, done };
}

describe("two processes on one database file", { timeout: TIMEOUT_MS }, () => {
  it("migrate a new file once when they open it at the same moment", async () => {
    const path = join(temp.dir(), DATABASE_FILE);
    const results = await race<{ version: number }>(path, "migrate");
    expect(new Set(results.map((r) => r.version)).size).toBe(1);
    expect(temp.open(join(path, "..")).appliedMigrations()).toHaveLength(MIGRATIONS.length);
  });

  it("resolve a racing decision exactly once: one winner holds the token", async () => {
    const dir = temp.dir();
    const approvals = new SqliteApprovals(temp.open(dir));
    for (let k = 0; k < SUBJECTS; k++) {
      approvals.createPending({
        approvalId: `ap-${k}`,
        incidentId: "inc-race",
        stepId: `step-${k}`,
        requestedAt: new Date().toISOString(),
        deadline: new Date(Date.now() + 3_600_000).toISOString(),
        approvers: ["worker-0", "worker-1"],
        plan: {},
        digest: "d",
        taskToken: `token-${k}`,
      });
    }
    const results = await race<DecideResult[]>(join(dir, DATABASE_FILE), "decide", [String(SUBJECTS)]);
    for (let k = 0; k < SUBJECTS; k++) {
      const answers = results.map((r) => r[k]!);
      const winners = answers.filter((r) => r.decided);
      expect(winners, `ap-${k}`).toHaveLength(1);
      expect(winners[0]).toMatchObject({ taskToken: `token-${k}` });
      expect(answers.filter((r) => !r.decided).map((r) => !r.decided && r.reason)).toEqual(Array(CONTENDERS - 1).fill("already-decided"));
      expect(approvals.get(`ap-${k}`)!.decidedBy).toBe(winners[0]!.approval?.decidedBy);
    }
  });

  it("open one incident per dedupe key: the others join it", async () => {
    const dir = temp.dir();
    const store = new SqliteIncidentStore(temp.open(dir));
    const results = await race<OpenOrJoinResult[]>(join(dir, DATABASE_FILE), "open", [String(SUBJECTS)]);
    for (let k = 0; k < SUBJECTS; k++) {
      const answers = results.map((r) => r[k]!);
      const opened = answers.filter((r) => !r.duplicate);
      expect(opened, `key ${k}`).toHaveLength(1);
      expect(new Set(answers.map((r) => r.incidentId))).toEqual(new Set([opened[0]!.incidentId]));
      expect(answers.map((r) => r.occurrences).sort()).toEqual([1, 2, 3, 4]);
    }
    const incidents = store.incidents();
    expect(incidents).toHaveLength(SUBJECTS);
    for (const incident of incidents) expect(incident.occurrences).toHaveLength(CONTENDERS);
  });

  it("let the first run record of a step win: every contender reports the same record", async () => {
    const dir = temp.dir();
    temp.open(dir);
    const results = await race<StepRecord[]>(join(dir, DATABASE_FILE), "record", [String(SUBJECTS)]);
    for (let k = 0; k < SUBJECTS; k++) expect(new Set(results.map((r) => r[k]!.executionId)).size, `step-${k}`).toBe(1);
  });

  it("queue concurrent writers on the lock (busy_timeout) instead of failing", async () => {
    const dir = temp.dir();
    const history = new SqliteHistory(temp.open(dir));
    const results = await race<{ written: number }>(join(dir, DATABASE_FILE), "write", ["150"]);
    expect(results).toEqual(Array(CONTENDERS).fill({ written: 150 }));
    expect(history.executions()).toHaveLength(CONTENDERS);
    for (const arn of history.executions()) expect(history.events(arn).map((e) => e.id)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
  });
});
