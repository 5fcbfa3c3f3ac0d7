import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { parse } from "yaml";
import type { Clock, Logger } from "../functions/contract/task.js";
import { executeTask } from "../functions/runtime/execute-task.js";
import { MemoryStepJournal } from "../functions/runtime/step-journal.js";
import { findImplementation } from "../functions/tasks.js";
import { PROJECT_ROOT } from "../cli/project-paths.js";
import { loadGeneratedMachines } from "../workflows/local/generated-machines.js";
import { InMemoryHistory, type HistorySink } from "../workflows/local/history.js";
import { GENERATED_DIRECTORY, LocalIncidentRunner, type IncidentRunResult } from "../workflows/local/incident/local-incident-runner.js";
import { configFromAccount } from "../workflows/local/incident/scenario-config.js";
import { allStates } from "../workflows/local/definition-walk.js";
import { isJsonObject, type JsonObject, type JsonValue } from "../workflows/local/json.js";
import { libraryDefinition } from "../workflows/local/local-definition.js";
import { LocalEngine, type LocalTask } from "../workflows/local/local-engine.js";
import { openLocalRuntime, type LocalRuntime } from "../workflows/local/local-runtime.js";
import { EmbeddedDatabase } from "../workflows/local/store/embedded-database.js";
import type { RunnerDone, RunnerJob } from "./incidents-worker.js";
import { scenarioFromData, type Scenario } from "../workflows/local/simulated-account/index.js";
import { LibraryStateMachine, type LibraryTaskHandler } from "../workflows/local/step-functions-library.js";
import { incidentFloor } from "./incident-floor.js";
import { figure, percentile, threadCpuMs, type Figure } from "./measure.js";

const COMMAND = "npm run bench -- incidents";
const RUNBOOK = "ssh-rdp-brute-force";
const INCIDENTS = Number(process.env.IRFLOW_BENCH_INCIDENTS ?? 1000);
const CONCURRENCY = Number(process.env.IRFLOW_BENCH_CONCURRENCY ?? 50);
/** Latency is measured apart from peak throughput: at 50 at a time, a p95 mostly measures the queue. */
const LATENCY_INCIDENTS = Number(process.env.IRFLOW_BENCH_LATENCY_INCIDENTS ?? Math.min(INCIDENTS, 200));
const LATENCY_CONCURRENCY = Number(process.env.IRFLOW_BENCH_LATENCY_CONCURRENCY ?? 4);
/** The floor records a full run of its incidents first, so it takes fewer. */
const FLOOR_INCIDENTS = Math.min(INCIDENTS, 500);
const NOW = new Date("2026-11-24T12:00:00.000Z");
const clock: Clock = { now: () => NOW };

/**
 * A history sink that keeps nothing: passed as the runner's `history`, the ceiling runs measure
 * the incidents with every other store as in a real run but no history stored (and so no
 * history digests logged). Not a mode of irflow: DESIGN §7 needs the history, the bench only
 * shows what storing it costs.
 */
export const DISCARDED_HISTORY: HistorySink = { append: () => undefined };

type Yaml = Record<string, unknown> & { resources: Record<string, unknown> & { ec2: Record<string, unknown[]> & { instances: Record<string, unknown>[] } } };

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/**
 * The demo scenario with `count` web servers, each alone in its own subnet behind its own network
 * ACL, and one brute-force finding per server: every incident has its own dedupe key (the
 * instance) and its own ACL (which holds 20 entries), so none joins another or runs out of room.
 * Each server has its own copy of the web security group, world-open SSH rule included, so every
 * incident has its own rule to close (with auto-approval) and none finds its neighbour's work done.
 * `first` numbers the servers from there: two accounts built as halves of one fleet share no server.
 */
export function bruteForceFleet(count: number, first = 0): { scenario: Scenario; events: Record<string, unknown>[] } {
  const file = join(PROJECT_ROOT, "test", "scenarios", `${RUNBOOK}.yaml`);
  const base = parse(readFileSync(file, "utf8")) as Yaml;
  const ec2 = base.resources.ec2;
  const [instance] = ec2.instances as [Record<string, unknown>];
  const [webGroup] = ec2.securityGroups as [Record<string, unknown> & { ingress: Record<string, unknown>[] }];
  const publicAcl = (ec2.networkAcls as Record<string, unknown>[]).find((acl) => !acl.isDefault)!;
  const event = base.event as Record<string, unknown> & { detail: Record<string, unknown> };
  const subnets: unknown[] = [ec2.subnets![1]];
  const acls: unknown[] = [(ec2.networkAcls as unknown[])[0]];
  const instances: unknown[] = [];
  const groups: unknown[] = [];
  const findings: unknown[] = [];
  const events: Record<string, unknown>[] = [];
  for (let i = first; i < first + count; i++) {
    // /28 subnets from 10.20.128.0 up: clear of the private subnet.
    const offset = 128 * 256 + i * 16;
    const prefix = `10.20.${Math.floor(offset / 256)}.${offset % 256}`;
    const ip = `10.20.${Math.floor(offset / 256)}.${(offset % 256) + 5}`;
    const subnetId = `subnet-1${hex(i, 16)}`;
    const instanceId = `i-1${hex(i, 16)}`;
    const eni = `eni-1${hex(i, 16)}`;
    const groupId = `sg-1${hex(i, 16)}`;
    groups.push({ ...webGroup, groupId, name: `web-${i}`, tags: { Name: `web-${i}`, Owner: "team-web" }, ingress: webGroup.ingress.map((rule, k) => ({ ...rule, ruleId: `sgr-${k + 1}${hex(i, 16)}` })) });
    subnets.push({ subnetId, vpcId: "vpc-0a1b2c3d4e5f60718", cidr: `${prefix}/28`, availabilityZone: "us-east-1a", public: true });
    acls.push({ ...publicAcl, networkAclId: `acl-1${hex(i, 16)}`, subnets: [subnetId], tags: { Name: `web-${i}` } });
    instances.push({ ...instance, instanceId, subnetId, privateIp: ip, publicIp: `54.${Math.floor(i / 250)}.${i % 250}.44`, networkInterfaceId: eni, securityGroups: [groupId], volumes: [{ volumeId: `vol-1${hex(i, 16)}`, deviceName: "/dev/xvda", sizeGib: 16 }], tags: { Name: `web-${i}`, Owner: "team-web", Environment: "production" } });
    const findingId = hex(i, 32);
    const detail = structuredClone(event.detail) as Record<string, unknown> & { resource: { instanceDetails: Record<string, unknown> & { networkInterfaces: Record<string, unknown>[] } } };
    detail.id = findingId;
    detail.arn = `arn:aws:guardduty:us-east-1:123456789012:detector/3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b/finding/${findingId}`;
    detail.resource.instanceDetails.instanceId = instanceId;
    detail.resource.instanceDetails.networkInterfaces = [{ ...detail.resource.instanceDetails.networkInterfaces[0]!, networkInterfaceId: eni, subnetId, privateIpAddress: ip, privateIpAddresses: [{ privateIpAddress: ip }], securityGroups: [{ groupName: `web-${i}`, groupId }] }];
    findings.push({ ...detail, archived: false });
    events.push({ ...event, id: `00000000-0000-4000-8000-${hex(i, 12)}`, detail });
  }
  const ssm = base.resources.ssm as { managedInstances: unknown[] };
  const guardduty = base.resources.guardduty as { detectors: [{ findings: unknown[] }] };
  ec2.subnets = subnets;
  ec2.networkAcls = acls;
  ec2.instances = instances as Record<string, unknown>[];
  ec2.securityGroups = groups;
  ssm.managedInstances = [];
  guardduty.detectors[0].findings = findings;
  // Through JSON, not YAML text (seconds for a large fleet): every server gets its own copy of what it shares with the template.
  const scenario = scenarioFromData(JSON.parse(JSON.stringify(base)), file, { now: () => NOW, sleep: () => Promise.resolve() });
  return { scenario, events };
}

interface FleetRun {
  readonly perSecond: number;
  readonly containP50: number;
  readonly containP95: number;
  readonly resolved: number;
  readonly containInputs: JsonValue[];
}

interface Measured extends FleetRun {
  /** Process CPU (every thread) and the running thread's own CPU per incident (the latter undefined off Linux). */
  readonly cpuMsPerIncident: number;
  readonly threadCpuMsPerIncident: number | undefined;
}

/** Runs every event as an incident, `CONCURRENCY` at a time; containment is finding → contain phase ExecutionSucceeded. */
export async function runFleet(runner: LocalIncidentRunner, events: readonly Record<string, unknown>[], concurrency: number): Promise<FleetRun> {
  const containMs: number[] = [];
  const containInputs: JsonValue[] = [];
  const results: IncidentRunResult[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < events.length) {
      const event = events[next++]!;
      const begun = performance.now();
      results.push(
        await runner.runIncident({
          runbookId: RUNBOOK,
          event,
          approvals: "auto",
          onEvent: ({ machineKey, event: e }) => {
            if (machineKey !== `${RUNBOOK}/contain`) return;
            if (e.type === "ExecutionStarted") containInputs.push(e.details.input);
            if (e.type === "ExecutionSucceeded") containMs.push(performance.now() - begun);
          },
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  containMs.sort((a, b) => a - b);
  return { perSecond: events.length / seconds, containP50: percentile(containMs, 50), containP95: percentile(containMs, 95), resolved: results.filter((r) => r.status === "resolved").length, containInputs };
}

async function throughput(store: "memory" | "sqlite-file" | "sqlite-memory", incidents = INCIDENTS, concurrency = CONCURRENCY, history: "stored" | "discarded" = "stored"): Promise<Measured> {
  const { scenario, events } = bruteForceFleet(incidents);
  const reportsDirectory = mkdtempSync(join(tmpdir(), "irflow-bench-reports-"));
  const common = { account: scenario.account, runbookIds: [RUNBOOK], clock, retryDelayScale: 0, reportsDirectory, approvalSweepMs: 0, ...(history === "discarded" ? { history: DISCARDED_HISTORY } : {}) } as const;
  const stateDir = mkdtempSync(join(tmpdir(), "irflow-bench-db-"));
  let runtime: LocalRuntime | undefined;
  try {
    runtime = store === "memory" ? undefined : await openLocalRuntime({ ...common, ...(store === "sqlite-file" ? { dir: stateDir } : { path: ":memory:" }) });
    const runner = runtime?.runner ?? (await LocalIncidentRunner.create(common));
    const cpu = process.cpuUsage();
    const thread = threadCpuMs();
    const fleet = await runFleet(runner, events, concurrency);
    const used = process.cpuUsage(cpu);
    const threadAfter = threadCpuMs();
    const measured = { ...fleet, cpuMsPerIncident: (used.user + used.system) / 1000 / events.length, threadCpuMsPerIncident: thread === undefined || threadAfter === undefined ? undefined : (threadAfter - thread) / events.length };
    if (measured.resolved !== events.length) throw new Error(`${store}: ${events.length - measured.resolved} of ${events.length} incidents did not resolve`);
    return measured;
  } finally {
    runtime?.close();
    rmSync(reportsDirectory, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** A worker does not inherit tsx's loader on Node 20: it registers tsx, then loads the runner module. */
const WORKER_BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
import(workerData.tsx).then(({ register }) => { register(); return import(workerData.entry); });
`;

interface SharedStore {
  readonly perSecond: number;
  readonly startupMs: number;
  readonly cpuMsPerIncident: number;
  /** The runners' own rates added, each from when it was ready to its last incident (start-up excluded). */
  readonly runPerSecond: number;
  /** Per runner thread: its own CPU ms per incident while running, and its CPU ms until ready (undefined off Linux). */
  readonly threads: readonly { readonly runCpuMsPerIncident: number | undefined; readonly startupCpuMs: number | undefined }[];
}

/**
 * The fleet split in two halves, each run by its own worker thread (own runner, own simulated
 * account with its half of the servers, own connection to one SQLite file), `CONCURRENCY` at a
 * time each: two `irflow run` processes sharing `.irflow/irflow.db`. Timed from before either
 * worker starts to the end of the later one, so worker start-up (module loading, machines, fleet)
 * is inside the figure. Then the file itself must hold every incident, closed and resolved.
 */
export async function twoRunnersSharingOneStore(incidents = INCIDENTS, history: RunnerJob["history"] = "stored"): Promise<SharedStore> {
  const dir = mkdtempSync(join(tmpdir(), "irflow-bench-db-"));
  const reportsDirectory = mkdtempSync(join(tmpdir(), "irflow-bench-reports-"));
  const half = Math.ceil(incidents / 2);
  const jobs: RunnerJob[] = [
    { runbookId: RUNBOOK, first: 0, count: half, concurrency: CONCURRENCY, dir, reportsDirectory, now: NOW.toISOString(), history },
    { runbookId: RUNBOOK, first: half, count: incidents - half, concurrency: CONCURRENCY, dir, reportsDirectory, now: NOW.toISOString(), history },
  ];
  try {
    // Created and migrated before the clock starts, as `.irflow/irflow.db` exists before two runs share it.
    EmbeddedDatabase.open({ dir }).close();
    const cpu = process.cpuUsage();
    const started = performance.timeOrigin + performance.now();
    const done = await Promise.all(
      jobs.map(
        (job) =>
          new Promise<RunnerDone>((resolve, reject) => {
            const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: { tsx: import.meta.resolve("tsx/esm/api"), entry: import.meta.resolve("./incidents-worker.ts"), job } });
            worker.once("message", (message: RunnerDone) => resolve(message));
            worker.once("error", reject);
            worker.once("exit", (code) => reject(new Error(`incident runner worker exited with code ${code} before reporting`)));
          }),
      ),
    );
    const ended = Math.max(...done.map((d) => d.doneAt));
    const used = process.cpuUsage(cpu);
    const resolvedByRunners = done.reduce((sum, d) => sum + d.resolved, 0);
    if (resolvedByRunners !== incidents) throw new Error(`two runners: ${incidents - resolvedByRunners} of ${incidents} incidents did not resolve`);
    verifySharedStore(dir, incidents);
    return {
      perSecond: incidents / ((ended - started) / 1000),
      startupMs: Math.max(...done.map((d) => d.readyAt)) - started,
      cpuMsPerIncident: (used.user + used.system) / 1000 / incidents,
      runPerSecond: done.reduce((sum, d) => sum + d.incidents / ((d.doneAt - d.readyAt) / 1000), 0),
      threads: done.map((d) => ({
        runCpuMsPerIncident: d.readyCpuMs === undefined || d.doneCpuMs === undefined ? undefined : (d.doneCpuMs - d.readyCpuMs) / d.incidents,
        startupCpuMs: d.readyCpuMs,
      })),
    };
  } finally {
    rmSync(reportsDirectory, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU per incident, the whole process and the thread that ran the incidents. */
function cpuNote(measured: { readonly cpuMsPerIncident: number; readonly threadCpuMsPerIncident: number | undefined }): string {
  const thread = measured.threadCpuMsPerIncident === undefined ? "" : ` (${measured.threadCpuMsPerIncident.toFixed(1)} on its thread)`;
  return `${measured.cpuMsPerIncident.toFixed(1)} ms CPU per incident${thread}`;
}

/** What each runner thread itself spent: CPU per incident while running, and CPU until ready (its module loading runs partly on its loader thread, counted only in the process figure). */
function threadNote(shared: SharedStore): string {
  const ms = (value: number | undefined, digits: number) => (value === undefined ? "n/a" : value.toFixed(digits));
  return `per runner thread: ${shared.threads.map((t) => ms(t.runCpuMsPerIncident, 1)).join(" and ")} ms CPU per incident while running, ${shared.threads.map((t) => ms(t.startupCpuMs, 0)).join(" and ")} ms CPU until ready`;
}

/** The shared file holds `incidents` distinct incidents, every one closed, with its close audited as resolved and both reports recorded. */
function verifySharedStore(dir: string, incidents: number): void {
  const database = EmbeddedDatabase.open({ dir });
  try {
    const count = (sql: string) => database.db.prepare<[], { n: number }>(sql).get()?.n ?? 0;
    const closed = count("SELECT count(*) AS n FROM incidents WHERE status = 'closed'");
    const all = count("SELECT count(*) AS n FROM incidents");
    const resolved = count("SELECT count(DISTINCT incident_id) AS n FROM audit_log WHERE kind = 'incident.closed' AND json_extract(body, '$.status') = 'resolved'");
    const reports = count("SELECT count(*) AS n FROM audit_log WHERE kind = 'report.written'");
    if (all !== incidents || closed !== incidents || resolved !== incidents || reports !== 2 * incidents) {
      throw new Error(`two runners: the shared store holds ${all} incidents, ${closed} closed, ${resolved} resolved, ${reports} reports; expected ${incidents}, ${incidents}, ${incidents}, ${2 * incidents}`);
    }
  } finally {
    database.close();
  }
}

/**
 * The contain machine on the same inputs and the same task functions, once through LocalEngine
 * and once through the bare library (`taskResourceLocalHandlers`, no history, tokens or checks).
 * Each input is a different incident on a fresh account, so both do the same real work. The
 * inputs are taken with no world-open rule listed, so the approval step (a callback, which the
 * bare library has no counterpart for) is skipped on both sides.
 */
async function engineOverhead(recorded: readonly JsonValue[]): Promise<{ engineMs: number; bareMs: number }> {
  const inputs = recorded.map((input) => (isJsonObject(input) && isJsonObject(input.instance) ? { ...input, instance: { ...input.instance, openToWorld: [] } } : input));
  const definitions = await loadGeneratedMachines(GENERATED_DIRECTORY, [RUNBOOK]);
  const key = `${RUNBOOK}/contain`;
  const definition = definitions.get(key)!;
  const timeOne = async (run: (input: JsonValue, n: number) => Promise<unknown>, batch: readonly JsonValue[]) => {
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batch.length) {
          const n = next++;
          await run(batch[n]!, n);
        }
      }),
    );
    return performance.now() - started;
  };

  const taskFunctions = (scenario: Scenario) => {
    const logger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const ports = { aws: scenario.account.clientProvider(), clock, sleep: () => Promise.resolve(), log: logger, config: configFromAccount(scenario.account), journal: new MemoryStepJournal() };
    return (name: string): LocalTask | undefined => {
      // Recording a failure never happens on these inputs; it only has to exist.
      if (name === "audit.record-failure") return () => Promise.resolve({ recorded: true });
      // Bound, since every Task needs a handler, but never reached: the inputs list no rule to close.
      if (name === "approval.request") return () => Promise.reject(new Error("engine overhead: no approval expected"));
      const task = findImplementation(name);
      return task ? (payload, signal) => executeTask(task, payload, { ...ports, signal }) : undefined;
    };
  };

  // Alternating halves, twice: neither side always runs first (JIT warm-up, GC).
  const half = Math.floor(inputs.length / 4);
  let engineMs = 0;
  let bareMs = 0;
  for (let round = 0; round < 2; round++) {
    const engineBatch = inputs.slice(round * 2 * half, round * 2 * half + half);
    const bareBatch = inputs.slice(round * 2 * half + half, (round + 1) * 2 * half);

    const engineTasks = taskFunctions(bruteForceFleet(INCIDENTS).scenario);
    const engine = new LocalEngine({ definitions: new Map([[key, definition]]), tasks: engineTasks, history: new InMemoryHistory(), clock, retryDelayScale: 0 });
    const engineRun = () =>
      timeOne(async (input) => {
        const outcome = await engine.start(key, input).result;
        if (outcome.status !== "SUCCEEDED") throw new Error(`engine: contain ${outcome.status}`);
      }, engineBatch);

    const bareTasks = taskFunctions(bruteForceFleet(INCIDENTS).scenario);
    const library = new LibraryStateMachine(libraryDefinition(definition, 0), { validationOptions: { noValidate: true } });
    const handlers: Record<string, LibraryTaskHandler> = {};
    // Every Task, nested ones included, gets a handler: one without would make the library call real Lambda.
    for (const { name: state, state: raw } of allStates(definition as unknown as JsonObject)) {
      if (raw.Type !== "Task") continue;
      const name = /\$\{Task:([^}]+)\}/.exec(JSON.stringify(raw.Parameters ?? ""))?.[1];
      const task = name ? bareTasks(name) : undefined;
      handlers[state] = task
        ? async (input: JsonValue) => ({ Payload: (await task(isJsonObject(input) ? input.Payload : {}, new AbortController().signal)) as JsonValue, StatusCode: 200 })
        : () => {
            throw new Error(`bare comparison: ${state} has no local function (its inputs skip the approval step)`);
          };
    }
    const bareRun = () =>
      timeOne(async (input, n) => {
        const name = `bare-${round}-${n}`;
        const execution = library.run(input, {
          overrides: { taskResourceLocalHandlers: handlers },
          context: { Execution: { Id: `arn:aws:states:local:000000000000:execution:contain:${name}`, Name: name, StartTime: NOW.toISOString() }, StateMachine: { Id: "contain", Name: "contain" } },
        });
        await execution.result;
      }, bareBatch);

    if (round === 0) {
      engineMs += await engineRun();
      bareMs += await bareRun();
    } else {
      bareMs += await bareRun();
      engineMs += await engineRun();
    }
  }
  return { engineMs, bareMs };
}

export async function benchIncidents(): Promise<Figure[]> {
  const stores = (process.env.IRFLOW_BENCH_STORES ?? "memory,sqlite-file,sqlite-memory").split(",");
  const memory = await throughput("memory");
  const file = stores.includes("sqlite-file") ? await throughput("sqlite-file") : memory;
  const inMemoryDb = stores.includes("sqlite-memory") ? await throughput("sqlite-memory") : memory;
  const { engineMs, bareMs } = await engineOverhead(memory.containInputs);
  const shared = stores.includes("sqlite-file") ? await twoRunnersSharingOneStore() : undefined;
  // What storing history costs, and how far the rest of the design goes without it (IRFLOW_BENCH_CEILING=0 skips these).
  const ceiling = stores.includes("sqlite-file") && process.env.IRFLOW_BENCH_CEILING !== "0";
  const fileNoHistory = ceiling ? await throughput("sqlite-file", INCIDENTS, CONCURRENCY, "discarded") : undefined;
  const sharedNoHistory = ceiling ? await twoRunnersSharingOneStore(INCIDENTS, "discarded") : undefined;
  const floor = await incidentFloor(RUNBOOK, () => bruteForceFleet(FLOOR_INCIDENTS), clock, CONCURRENCY);
  // Reports are written (md and html, to a temporary directory) in every run: the same work as `irflow run`.
  const note = (store: string) => `${INCIDENTS} ${RUNBOOK} incidents, auto-approval, ${CONCURRENCY} at a time, reports written to a temp dir, ${store}`;
  const memoryLatency = await throughput("memory", LATENCY_INCIDENTS, LATENCY_CONCURRENCY);
  const fileLatency = stores.includes("sqlite-file") ? await throughput("sqlite-file", LATENCY_INCIDENTS, LATENCY_CONCURRENCY) : memoryLatency;
  const latencyNote = (store: string) =>
    `from runIncident to the contain phase's ExecutionSucceeded event, ${LATENCY_INCIDENTS} incidents ${LATENCY_CONCURRENCY} at a time (a separate run from the throughput one), ${store}`;
  const loadedNote = `the same, measured inside the throughput run (${CONCURRENCY} at a time: mostly waiting behind the other incidents)`;
  return [
    figure("local incidents per second, embedded store (SQLite file, WAL)", file.perSecond, "incidents/s", COMMAND, { value: 200, comparison: ">=" }, note("incidents, step records, history, approvals and audit log in a temporary irflow.db")),
    ...(shared
      ? [
          figure(
            "local incidents per second, two runners sharing one embedded store",
            shared.perSecond,
            "incidents/s",
            COMMAND,
            { value: 200, comparison: ">=" },
            `${INCIDENTS} ${RUNBOOK} incidents split across 2 worker threads, each its own runner, simulated account (its half of the fleet) and connection to one SQLite file (WAL), ${CONCURRENCY} at a time each, auto-approval, reports written; timed from before both workers start to the end of the later one, worker start-up included (${Math.round(shared.startupMs)} ms until both were ready); ${shared.cpuMsPerIncident.toFixed(1)} ms CPU per incident (whole process, start-up included); ${threadNote(shared)}; the file then holds all ${INCIDENTS} incidents closed and resolved`,
          ),
          figure(
            "local incidents per second, two runners sharing one embedded store, after start-up",
            shared.runPerSecond,
            "incidents/s",
            COMMAND,
            undefined,
            `the same run as the figure above, start-up excluded: each runner's incidents over its own time from ready to its last incident, the two rates added (start-up is in the figure above)`,
          ),
        ]
      : []),
    ...(fileNoHistory && sharedNoHistory
      ? [
          figure(
            "ceiling: local incidents per second, SQLite file, history not stored",
            fileNoHistory.perSecond,
            "incidents/s",
            COMMAND,
            undefined,
            `not a mode of irflow: the first figure's run with its history sink replaced by one that keeps nothing (so no history digests are logged either); every other store, the audit log and the reports as there; ${cpuNote(fileNoHistory)}`,
          ),
          figure(
            "ceiling: two runners sharing one embedded store, history not stored, after start-up",
            sharedNoHistory.runPerSecond,
            "incidents/s",
            COMMAND,
            undefined,
            `the two-runner run with no history stored, start-up excluded (${sharedNoHistory.perSecond.toFixed(1)} incidents/s with it); ${threadNote(sharedNoHistory)}`,
          ),
        ]
      : []),
    figure("local incidents per second, SQLite in memory", inMemoryDb.perSecond, "incidents/s", COMMAND, { value: 200, comparison: ">=" }, note("the same stores on a :memory: database")),
    figure("local incidents per second, memory stores", memory.perSecond, "incidents/s", COMMAND, { value: 200, comparison: ">=" }, note("in-process stores, no database")),
    figure("finding to containment, p50 (embedded store)", fileLatency.containP50, "ms", COMMAND, undefined, latencyNote("SQLite file")),
    figure("finding to containment, p95 (embedded store)", fileLatency.containP95, "ms", COMMAND, { value: 50, comparison: "<=" }, latencyNote("SQLite file")),
    figure("finding to containment, p95 (memory stores)", memoryLatency.containP95, "ms", COMMAND, { value: 50, comparison: "<=" }, latencyNote("memory stores")),
    figure("finding to containment under peak load, p95 (embedded store)", file.containP95, "ms", COMMAND, undefined, loadedNote),
    figure(
      "the same phases on bare aws-local-stepfunctions (the floor: no history, audit, stores or reports)",
      floor.perSecond,
      "incidents/s",
      COMMAND,
      undefined,
      `${FLOOR_INCIDENTS} incidents, ${CONCURRENCY} at a time: each phase machine on the library alone with the same inputs and task functions against the simulated account, irflow's own tasks (open, approve, record a failure, close) answering what they answered in a full run; ${cpuNote(floor)}, against ${cpuNote(file)} for the full incidents on the SQLite file`,
    ),
    figure("runner overhead: contain machine on LocalEngine / on bare aws-local-stepfunctions", engineMs / bareMs, "x", COMMAND, { value: 1.5, comparison: "<=" }, `same definition, same task functions, ${Math.floor(memory.containInputs.length / 4) * 2} inputs each, ${CONCURRENCY} at a time (${Math.round(engineMs)} ms vs ${Math.round(bareMs)} ms)`),
  ];
}
