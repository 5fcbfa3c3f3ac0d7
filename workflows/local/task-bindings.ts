import { RESOURCES } from "../compiler/asl.js";
import { placeholderName } from "./arns.js";
import { allStates } from "./definition-walk.js";
import { isJsonObject, type JsonObject } from "./json.js";
import { heartbeatSeconds, taskTimeoutSeconds } from "./local-definition.js";

/** How the local runner answers one Task state, decided before anything runs. */
export type TaskBinding =
  | { readonly kind: "invoke"; readonly state: string; readonly taskName: string; readonly timeoutSeconds: number }
  | { readonly kind: "callback"; readonly state: string; readonly taskName: string; readonly timeoutSeconds: number; readonly heartbeatSeconds?: number }
  | { readonly kind: "startSync"; readonly state: string; readonly machineKey: string; readonly timeoutSeconds: number };

export interface Refusal {
  readonly machine: string;
  readonly state?: string;
  readonly problem: string;
}

export interface Resolvable {
  hasTask(taskName: string): boolean;
  hasMachine(machineKey: string): boolean;
}

/** Fields the library ignores or cannot honour; running them would silently differ from AWS. */
const UNSUPPORTED_FIELDS = ["Assign", "Arguments", "Output", "TimeoutSecondsPath", "HeartbeatSecondsPath", "Credentials", "ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailureCount", "ToleratedFailurePercentage", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"];

const LOCAL_RESOURCES: readonly string[] = Object.values(RESOURCES);

/**
 * Binds every Task state of a machine (nested ones included) to a local handler, or says why it
 * cannot run locally: a Resource other than the three the compiler emits (the library would call
 * real Lambda for it), a FunctionName without a local task, a StateMachineArn without a local
 * definition, or a feature the library would quietly ignore.
 */
export function bindTasks(machine: string, definition: unknown, resolvable: Resolvable): { bindings: ReadonlyMap<string, TaskBinding>; refusals: Refusal[] } {
  const refusals: Refusal[] = [];
  const bindings = new Map<string, TaskBinding>();
  if (!isJsonObject(definition) || !isJsonObject(definition.States)) {
    return { bindings, refusals: [{ machine, problem: "is not a state machine definition (no States)" }] };
  }
  if (definition.QueryLanguage === "JSONata") refusals.push({ machine, problem: "uses JSONata, which the local engine ignores" });

  const seen = new Map<string, string>();
  for (const { name, state } of allStates(definition)) {
    const refuse = (problem: string) => refusals.push({ machine, state: name, problem });
    const text = JSON.stringify(state);
    if (seen.has(name) && seen.get(name) !== text) refuse("is defined twice; local handlers are keyed by state name");
    seen.set(name, text);
    if (state.QueryLanguage === "JSONata") refuse("uses JSONata, which the local engine ignores");
    for (const field of UNSUPPORTED_FIELDS) if (field in state) refuse(`uses ${field}, which the local engine does not support`);
    if (isJsonObject(state.ProcessorConfig) && state.ProcessorConfig.Mode === "DISTRIBUTED") refuse("is a distributed Map, which the local engine does not support");
    if (state.Type !== "Task") continue;

    const binding = bindTask(name, state, resolvable);
    if (typeof binding === "string") refuse(binding);
    else bindings.set(name, binding);
  }
  return { bindings, refusals };
}

function bindTask(name: string, state: JsonObject, resolvable: Resolvable): TaskBinding | string {
  const resource = state.Resource;
  const parameters = isJsonObject(state.Parameters) ? state.Parameters : {};
  const timeoutSeconds = taskTimeoutSeconds(state);
  if (typeof resource !== "string" || !LOCAL_RESOURCES.includes(resource)) {
    return `has Resource ${JSON.stringify(resource)}, which never runs locally (only ${LOCAL_RESOURCES.join(", ")})`;
  }
  if (resource === RESOURCES.startExecutionSync) {
    if ("StateMachineArn.$" in parameters) return "takes its StateMachineArn from a path; the local engine needs a ${Machine:…} placeholder";
    const machineKey = placeholderName(parameters.StateMachineArn, "Machine");
    if (!machineKey) return `has StateMachineArn ${JSON.stringify(parameters.StateMachineArn)}, not a \${Machine:<runbook>/<machine>} placeholder`;
    if (!resolvable.hasMachine(machineKey)) return `starts ${machineKey}, which has no local definition`;
    return { kind: "startSync", state: name, machineKey, timeoutSeconds };
  }
  if ("FunctionName.$" in parameters) return "takes its FunctionName from a path; the local engine needs a ${Task:…} placeholder";
  const taskName = placeholderName(parameters.FunctionName, "Task");
  if (!taskName) return `has FunctionName ${JSON.stringify(parameters.FunctionName)}, not a \${Task:<name>} placeholder`;
  if (!resolvable.hasTask(taskName)) return `invokes ${taskName}, which has no local handler`;
  if (resource === RESOURCES.lambdaInvoke) return { kind: "invoke", state: name, taskName, timeoutSeconds };
  const heartbeat = heartbeatSeconds(state);
  return { kind: "callback", state: name, taskName, timeoutSeconds, ...(heartbeat !== undefined ? { heartbeatSeconds: heartbeat } : {}) };
}

export function describeRefusals(refusals: readonly Refusal[]): string {
  return refusals.map((r) => `  ${r.machine}${r.state !== undefined ? `, state "${r.state}"` : ""}: ${r.problem}`).join("\n");
}
