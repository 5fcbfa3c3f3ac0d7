import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock, Logger } from "../functions/contract/task.js";
import { SYSTEM_TASKS } from "../functions/registry.js";
import { executeTask } from "../functions/runtime/execute-task.js";
import { MemoryStepJournal } from "../functions/runtime/step-journal.js";
import { findImplementation } from "../functions/tasks.js";
import { loadGeneratedMachines } from "../workflows/local/generated-machines.js";
import { GENERATED_DIRECTORY, LocalIncidentRunner } from "../workflows/local/incident/local-incident-runner.js";
import { configFromAccount } from "../workflows/local/incident/scenario-config.js";
import { allStates } from "../workflows/local/definition-walk.js";
import { isJsonObject, type JsonObject, type JsonValue } from "../workflows/local/json.js";
import { libraryDefinition } from "../workflows/local/local-definition.js";
import { LibraryStateMachine, type LibraryTaskHandler } from "../workflows/local/step-functions-library.js";
import type { Scenario } from "../workflows/local/simulated-account/index.js";
import { threadCpuMs } from "./measure.js";

export interface Floor {
  readonly perSecond: number;
  /** Process CPU (every thread) per incident. */
  readonly cpuMsPerIncident: number;
  /** CPU of the thread that ran the phases, per incident; undefined off Linux. */
  readonly threadCpuMsPerIncident: number | undefined;
}

interface Recorded {
  /** Per phase machine, in the order an incident runs them: each incident's input. */
  readonly inputs: Map<string, JsonValue[]>;
  /** `<machine>#<incident>#<function>` → what irflow's own task answered, in order. */
  readonly replies: Map<string, JsonValue[]>;
}

const SYSTEM = new Set<string>(Object.values(SYSTEM_TASKS));
const EXECUTION_PREFIX = "arn:aws:states:local:000000000000:execution:floor:";
const functionOf = (parameters: unknown) => /\$\{Task:([^}]+)\}/.exec(JSON.stringify(parameters ?? ""))?.[1];

/** One full run of the fleet (not timed), recording each phase's input and every system task's answer. */
async function record(runbookId: string, fleet: { scenario: Scenario; events: readonly Record<string, unknown>[] }, clock: Clock, concurrency: number): Promise<Recorded> {
  const reportsDirectory = mkdtempSync(join(tmpdir(), "irflow-bench-floor-"));
  try {
    const runner = await LocalIncidentRunner.create({ account: fleet.scenario.account, runbookIds: [runbookId], clock, retryDelayScale: 0, reportsDirectory, approvalSweepMs: 0 });
    const inputs = new Map<string, JsonValue[]>();
    const replies = new Map<string, JsonValue[]>();
    let next = 0;
    const worker = async () => {
      while (next < fleet.events.length) {
        const incident = next++;
        const scheduled = new Map<string, string>();
        const result = await runner.runIncident({
          runbookId,
          event: fleet.events[incident]!,
          approvals: "auto",
          onEvent: ({ machineKey, event }) => {
            if (machineKey.endsWith("/incident")) return;
            const details = event.details as Record<string, unknown>;
            if (event.type === "ExecutionStarted") {
              if (!inputs.has(machineKey)) inputs.set(machineKey, []);
              inputs.get(machineKey)![incident] = details.input as JsonValue;
            } else if (event.type === "TaskScheduled") {
              scheduled.set(machineKey, functionOf((details.parameters as Record<string, unknown> | undefined)?.FunctionName) ?? "");
            } else if (event.type === "TaskSucceeded" && SYSTEM.has(scheduled.get(machineKey) ?? "")) {
              const key = `${machineKey}#${incident}#${scheduled.get(machineKey)}`;
              replies.set(key, [...(replies.get(key) ?? []), details.output as JsonValue]);
            }
          },
        });
        if (result.status !== "resolved") throw new Error(`floor: recording incident ${incident} ended ${result.status}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { inputs, replies };
  } finally {
    rmSync(reportsDirectory, { recursive: true, force: true });
  }
}

/** The incident a phase run belongs to, from the execution id its task payload carries. */
function incidentOf(payload: unknown): number {
  const body = isJsonObject(payload) ? payload : {};
  const context = isJsonObject(body.context) ? body.context : {};
  const id = typeof context.executionId === "string" ? context.executionId : typeof body.executionId === "string" ? body.executionId : "";
  return Number(id.slice(id.lastIndexOf(":") + 1));
}

/**
 * The floor under the incidents figure: the same phase machines, inputs and task functions on the
 * bare library, with no history, callback tokens, audit log, incident record, stores or reports;
 * irflow's own tasks (open, approve, record a failure, close) answer with what they answered in a
 * full run of the same incidents. What the full figure spends above this is irflow's bookkeeping.
 */
export async function incidentFloor(runbookId: string, fleetOf: () => { scenario: Scenario; events: readonly Record<string, unknown>[] }, clock: Clock, concurrency: number): Promise<Floor> {
  const { inputs, replies } = await record(runbookId, fleetOf(), clock, concurrency);
  const { scenario, events } = fleetOf();
  const definitions = await loadGeneratedMachines(GENERATED_DIRECTORY, [runbookId]);
  const logger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const ports = { aws: scenario.account.clientProvider(), clock, sleep: () => Promise.resolve(), log: logger, config: configFromAccount(scenario.account), journal: new MemoryStepJournal() };
  // In the order the incidents ran them (the recording's insertion order).
  const machines = [...inputs.keys()].map((machineKey) => {
    const definition = definitions.get(machineKey)!;
    const handlers: Record<string, LibraryTaskHandler> = {};
    // Nested states too (a Map's iterations): a Task with no local handler would call real Lambda.
    for (const { name: state, state: raw } of allStates(definition as unknown as JsonObject)) {
      if (raw.Type !== "Task") continue;
      const name = functionOf(isJsonObject(raw.Parameters) ? raw.Parameters.FunctionName : undefined);
      if (!name) throw new Error(`floor: ${machineKey} state ${state} names no task function, so the library would call AWS`);
      const task = SYSTEM.has(name) ? undefined : findImplementation(name);
      if (task) {
        handlers[state] = async (input: JsonValue) => ({ Payload: (await executeTask(task, isJsonObject(input) ? input.Payload : {}, { ...ports, signal: new AbortController().signal })) as JsonValue, StatusCode: 200 });
      } else {
        handlers[state] = (input: JsonValue) => {
          const payload = isJsonObject(input) && "Payload" in input ? input.Payload : input;
          const reply = replies.get(`${machineKey}#${incidentOf(payload)}#${name}`)?.shift();
          if (reply === undefined) throw new Error(`floor: no recorded answer of ${name} for ${machineKey}`);
          return reply;
        };
      }
    }
    return { machineKey, library: new LibraryStateMachine(libraryDefinition(definition, 0), { validationOptions: { noValidate: true } }), handlers };
  });

  const cpu = process.cpuUsage();
  const thread = threadCpuMs();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length) {
        const incident = next++;
        for (const { machineKey, library, handlers } of machines) {
          const input = inputs.get(machineKey)![incident];
          if (input === undefined) continue;
          const id = `${EXECUTION_PREFIX}${incident}`;
          const run = library.run(input, {
            overrides: { taskResourceLocalHandlers: handlers },
            // A token for the approval states' `$$.Task.Token` (the library has none): the recorded answer ignores it.
            context: { Execution: { Id: id, Name: `floor-${incident}`, StartTime: clock.now().toISOString() }, StateMachine: { Id: machineKey, Name: machineKey }, Task: { Token: "floor" } },
          });
          await run.result;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const threadAfter = threadCpuMs();
  return {
    perSecond: events.length / seconds,
    cpuMsPerIncident: (used.user + used.system) / 1000 / events.length,
    threadCpuMsPerIncident: thread === undefined || threadAfter === undefined ? undefined : (threadAfter - thread) / events.length,
  };
}
