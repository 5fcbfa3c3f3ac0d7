import { createRequire } from "node:module";
import type { StateMachine } from "./asl.js";

interface AslValidatorResult {
  isValid: boolean;
  errors: { "Error code": string; Message: string }[];
}
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => AslValidatorResult;

// asl-validator ships CommonJS without type declarations.
const validate = createRequire(import.meta.url)("asl-validator") as AslValidator;

export interface NamedMachine {
  readonly name: string;
  readonly definition: StateMachine;
}

/**
 * Runs asl-validator (schema, transitions, paths, intrinsics) over many machines at once.
 * asl-validator builds and compiles its JSON schemas on every call (~70 ms), so the machines go
 * in as the branches of one Parallel state: every state is still checked against the same
 * schemas, and the cost is paid once per compilation instead of once per machine. Machine-level
 * fields a branch cannot carry (TimeoutSeconds) are checked by our own lint instead.
 */
export function validateAsl(machines: readonly NamedMachine[]): string[] {
  if (machines.length === 0) return [];
  const branches = machines.map(({ definition }, index) => {
    const { TimeoutSeconds: _timeout, QueryLanguage: _language, ...branch } = structuredClone(definition);
    return prefixStates(branch as unknown as StatesScope, `${index}#`);
  });
  const combined = { QueryLanguage: "JSONPath", StartAt: "All", States: { All: { Type: "Parallel", Branches: branches, End: true } } };
  const result = validate(combined, { checkPaths: true, checkArn: true });
  if (result.isValid) return [];
  return result.errors.map((error) => `${error["Error code"]}: ${locate(error.Message, machines)}`);
}

interface StatesScope {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
}

/**
 * State names must be unique across a whole definition, branches included; prefixing each
 * machine's names (and every reference to them) keeps the duplicate-name check per machine.
 */
function prefixStates<T extends StatesScope>(scope: T, prefix: string): T {
  const rename = (name: unknown) => (typeof name === "string" ? `${prefix}${name}` : name);
  const states: Record<string, Record<string, unknown>> = {};
  for (const [name, original] of Object.entries(scope.States)) {
    const state = { ...original };
    if ("Next" in state) state.Next = rename(state.Next);
    if ("Default" in state) state.Default = rename(state.Default);
    if (Array.isArray(state.Choices)) state.Choices = (state.Choices as Record<string, unknown>[]).map((c) => ({ ...c, Next: rename(c.Next) }));
    if (Array.isArray(state.Catch)) state.Catch = (state.Catch as Record<string, unknown>[]).map((c) => ({ ...c, Next: rename(c.Next) }));
    if (state.ItemProcessor) state.ItemProcessor = prefixStates(state.ItemProcessor as StatesScope, prefix);
    states[`${prefix}${name}`] = state;
  }
  return { ...scope, StartAt: `${prefix}${scope.StartAt}`, States: states };
}

/** Turns branch paths and prefixed names back into `<machine>` and the state's own name. */
function locate(message: string, machines: readonly NamedMachine[]): string {
  return message
    .replace(/\/States\/All\/Branches\/(\d+)/g, (_, index: string) => `${machines[Number(index)]?.name ?? `branch ${index}`}:`)
    .replace(/(\d+)#/g, (_, index: string) => `${machines[Number(index)]?.name ?? index}: `);
}
