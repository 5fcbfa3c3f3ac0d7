import { createRequire } from "node:module";
import type { StateMachine } from "./asl.js";
import type { ValidationCache } from "./validation-cache.js";

/** One problem as asl-validator reports it. */
export interface AslValidatorError {
  readonly "Error code": string;
  readonly Message: string;
}
interface AslValidatorResult {
  isValid: boolean;
  errors: AslValidatorError[];
}
type AslValidator = (definition: unknown, options?: typeof ASL_VALIDATOR_OPTIONS) => AslValidatorResult;

/** Every check asl-validator has: JSONPath syntax included, ARNs included. */
export const ASL_VALIDATOR_OPTIONS = { checkPaths: true, checkArn: true } as const;

// asl-validator ships CommonJS without type declarations.
const require = createRequire(import.meta.url);
/** Where asl-validator lives, for threads that load their own copy. */
export const ASL_VALIDATOR_MODULE = require.resolve("asl-validator");
const validate = require(ASL_VALIDATOR_MODULE) as AslValidator;
export const ASL_VALIDATOR_VERSION = (require("asl-validator/package.json") as { version: string }).version;

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
export function validateAsl(all: readonly NamedMachine[], cache?: ValidationCache): string[] {
  const machines = cache ? all.filter((m) => !cache.has(m.definition)) : all;
  if (machines.length === 0) return [];
  const batch = combineMachines(machines, { copy: true });
  const problems = explainErrors(batch, runAslValidator(batch.definition));
  if (problems.length === 0) cache?.remember(machines.map((m) => m.definition));
  return problems;
}

/** asl-validator's verdict on one definition: its errors, none when it is valid. */
export function runAslValidator(definition: unknown): AslValidatorError[] {
  const result = validate(definition, ASL_VALIDATOR_OPTIONS);
  return result.isValid ? [] : result.errors.map((error) => ({ "Error code": error["Error code"], Message: error.Message }));
}

/** Many machines as one definition for asl-validator, and what it takes to name them again. */
export interface AslBatch {
  readonly machines: readonly NamedMachine[];
  readonly definition: { readonly QueryLanguage: "JSONPath"; readonly StartAt: string; readonly States: Record<string, unknown> };
  /** Synthetic state name to "machine: state". */
  readonly names: ReadonlyMap<string, string>;
}

/**
 * The machines as the branches of one Parallel state. asl-validator writes into the definition
 * it checks, so `copy` deep-copies the machines first; without it the batch shares their values
 * and must only be serialised (sent to another thread), never validated in place.
 */
export function combineMachines(machines: readonly NamedMachine[], { copy }: { readonly copy: boolean }): AslBatch {
  const names = new Map<string, string>();
  const branches = machines.map(({ name, definition }, index) => {
    const { TimeoutSeconds: _timeout, QueryLanguage: _language, ...branch } = copy ? structuredClone(definition) : definition;
    const renamed = new Map<string, string>();
    return renameStates(branch as unknown as StatesScope, (state) => {
      let short = renamed.get(state);
      if (!short) {
        short = `m${index}s${names.size}`;
        names.set(short, `${name}: ${state}`);
        renamed.set(state, short);
      }
      return short;
    });
  });
  const definition = { QueryLanguage: "JSONPath", StartAt: "All", States: { All: { Type: "Parallel", Branches: branches, End: true } } } as const;
  return { machines, definition, names };
}

/** asl-validator's errors about a batch, each naming the machine and the state it is about. */
export function explainErrors(batch: AslBatch, errors: readonly AslValidatorError[]): string[] {
  return errors.map((error) => `${error["Error code"]}: ${locate(error.Message, batch.machines, batch.names)}`);
}

/** asl-validator's errors about one machine validated on its own, each naming the machine. */
export function explainMachineErrors(name: string, errors: readonly AslValidatorError[]): string[] {
  return errors.map((error) => `${error["Error code"]}: ${name}: ${error.Message}`);
}

interface StatesScope {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
}

/**
 * State names must be unique across a whole definition, branches included, so each machine's
 * states get short synthetic names (and every reference follows): the duplicate-name check stays
 * per machine, and no name grows past the 80-character limit our own lint already enforces.
 */
function renameStates(scope: StatesScope, shortName: (name: string) => string): StatesScope {
  // The same name maps to the same short name at every depth, so a name reused inside a Map is
  // still reported as a duplicate; a reference to a state that does not exist keeps its name.
  const own = new Set(Object.keys(scope.States));
  const rename = (name: unknown) => (typeof name === "string" && own.has(name) ? shortName(name) : name);
  const states: Record<string, Record<string, unknown>> = {};
  for (const [name, original] of Object.entries(scope.States)) {
    const state = { ...original };
    if ("Next" in state) state.Next = rename(state.Next);
    if ("Default" in state) state.Default = rename(state.Default);
    if (Array.isArray(state.Choices)) state.Choices = (state.Choices as Record<string, unknown>[]).map((c) => ({ ...c, Next: rename(c.Next) }));
    if (Array.isArray(state.Catch)) state.Catch = (state.Catch as Record<string, unknown>[]).map((c) => ({ ...c, Next: rename(c.Next) }));
    if (state.ItemProcessor) state.ItemProcessor = renameStates(state.ItemProcessor as StatesScope, shortName);
    states[shortName(name)] = state;
  }
  return { ...scope, StartAt: rename(scope.StartAt) as string, States: states };
}

/** Turns branch paths and synthetic names back into the machine and the state's own name. */
function locate(message: string, machines: readonly NamedMachine[], names: ReadonlyMap<string, string>): string {
  const located = message
    .replace(/\/States\/All\/Branches\/(\d+)/g, (_, index: string) => `${machines[Number(index)]?.name ?? `branch ${index}`}:`)
    .replace(/\bm\d+s\d+\b/g, (short) => names.get(short) ?? short);
  if (machines.some((m) => located.includes(m.name))) return located;
  // A target that does not exist kept its own name: blame the machines that refer to it.
  const target = located.split(": ").pop() ?? "";
  const owners = machines.filter((m) => target.length > 0 && JSON.stringify(m.definition).includes(`"${target}"`)).map((m) => m.name);
  return owners.length > 0 ? `${owners.join(", ")}: ${located}` : located;
}
