import { PLACEHOLDER } from "../compiler/asl.js";
import { machineName as deployedMachineName } from "../compiler/manifest.js";

/** The local runner's pretend account and region: ARNs look like AWS's and never resolve there. */
export const LOCAL_REGION = "local";
export const LOCAL_ACCOUNT = "000000000000";

/** Machine keys are `<runbook>/<machine>`, as in `${Machine:<runbook>/<machine>}`. */
const MACHINE_KEY = /^([a-z0-9][a-z0-9-]*)\/([a-z0-9][a-z0-9-]*)$/;
/** What the local runner (and the incident document's ExecutionArn) accepts as an execution name. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function isMachineKey(key: string): boolean {
  const match = MACHINE_KEY.exec(key);
  return match !== null && machineName(key).length <= 80;
}

/** `ssh-rdp-brute-force/contain` → `irflow-ssh-rdp-brute-force-contain`, the deployed name. */
export function machineName(key: string): string {
  const [, runbook = "", machine = ""] = MACHINE_KEY.exec(key) ?? [];
  return deployedMachineName(runbook, machine);
}

export function stateMachineArn(key: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${machineName(key)}`;
}

export function executionArn(key: string, name: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName(key)}:${name}`;
}

const WHOLE_PLACEHOLDER = new RegExp(`^${PLACEHOLDER.source}$`);

/** The name inside a `${Task:…}` or `${Machine:…}` placeholder that is the whole value, if it is one. */
export function placeholderName(value: unknown, kind: "Task" | "Machine"): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = WHOLE_PLACEHOLDER.exec(value);
  return match?.[1] === kind ? match[2] : undefined;
}
