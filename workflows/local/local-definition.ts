import type { StateMachine } from "../compiler/asl.js";
import { mapStates } from "./definition-walk.js";
import { isJsonObject, jsonCopy, type JsonObject } from "./json.js";
import type { LibraryDefinition } from "./step-functions-library.js";

/** Step Functions' default TimeoutSeconds for a Task (the library would use 60 s). */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
/** Node's timers overflow past 2^31-1 ms (and then fire at once): the longest wait a timer can hold. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** The timeout a Task really gets locally: the state's own, AWS's default when absent, within Node's timer range. */
export function taskTimeoutSeconds(state: JsonObject): number {
  const declared = typeof state.TimeoutSeconds === "number" && state.TimeoutSeconds > 0 ? state.TimeoutSeconds : AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
  return Math.min(declared, MAX_TIMER_SECONDS);
}

export function heartbeatSeconds(state: JsonObject): number | undefined {
  return typeof state.HeartbeatSeconds === "number" && state.HeartbeatSeconds > 0 ? Math.min(state.HeartbeatSeconds, MAX_TIMER_SECONDS) : undefined;
}

/**
 * The definition as the library must see it to behave like Step Functions: every Task carries its
 * real timeout (the library defaults to 60 s), timeouts fit Node's timers, Choice rules avoid the
 * library's misreadings (see `choiceRule`), a Fail state without Error or Cause leaves them empty
 * (the library would invent both), and Retry waits are scaled by `retryDelayScale`
 * (0 retries at once; backoff, jitter and MaxDelaySeconds keep their shape). Validated beforehand,
 * so the library can skip its own (slow) validation.
 */
export function libraryDefinition(definition: StateMachine, retryDelayScale: number): LibraryDefinition {
  const scoped = mapStates(jsonCopy(definition) as JsonObject, (state) => {
    if (state.Type === "Task") state.TimeoutSeconds = taskTimeoutSeconds(state);
    if (state.Type === "Fail") Object.assign(state, failDefaults(state));
    if (state.Type === "Choice" && Array.isArray(state.Choices)) state.Choices = state.Choices.map((rule) => (isJsonObject(rule) ? choiceRule(rule) : rule));
    if (Array.isArray(state.Retry) && retryDelayScale !== 1) {
      state.Retry = state.Retry.map((retrier) => (isJsonObject(retrier) ? scaleRetrier(retrier, retryDelayScale) : retrier));
    }
    return state;
  });
  if (typeof scoped.TimeoutSeconds === "number") scoped.TimeoutSeconds = Math.min(scoped.TimeoutSeconds, MAX_TIMER_SECONDS);
  return scoped as unknown as LibraryDefinition;
}

function scaleRetrier(retrier: JsonObject, scale: number): JsonObject {
  const interval = typeof retrier.IntervalSeconds === "number" ? retrier.IntervalSeconds : 1;
  return {
    ...retrier,
    IntervalSeconds: interval * scale,
    ...(typeof retrier.MaxDelaySeconds === "number" ? { MaxDelaySeconds: retrier.MaxDelaySeconds * scale } : {}),
  };
}

/** A Fail state without Error or Cause ends the execution without them in AWS; the library would invent "FailStateError" and a sentence. */
function failDefaults(state: JsonObject): JsonObject {
  return { ...(state.Error === undefined && state.ErrorPath === undefined ? { Error: "" } : {}), ...(state.Cause === undefined && state.CausePath === undefined ? { Cause: "" } : {}) };
}

const TYPE_TESTS = ["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"] as const;

/**
 * A Choice rule the library evaluates as Step Functions does. The library reads a type test set to
 * false (`IsNull: false`, `IsPresent: false`, …) as "never matches" (`test && …`), where AWS means
 * "is not"; it becomes `Not` of the test set to true (same runtime error on a missing path, as in
 * AWS). And the library's `StringMatches` treats `?` as a wildcard, where AWS knows only `*`: a
 * bare `?` is escaped.
 */
export function choiceRule(rule: JsonObject): JsonObject {
  const { Next, ...condition } = rule;
  const fixed = conditionRule(condition);
  return Next === undefined ? fixed : { ...fixed, Next };
}

function conditionRule(rule: JsonObject): JsonObject {
  if (Array.isArray(rule.And)) return { ...rule, And: rule.And.map((inner) => (isJsonObject(inner) ? conditionRule(inner) : inner)) };
  if (Array.isArray(rule.Or)) return { ...rule, Or: rule.Or.map((inner) => (isJsonObject(inner) ? conditionRule(inner) : inner)) };
  if (isJsonObject(rule.Not)) return { ...rule, Not: conditionRule(rule.Not) };
  for (const test of TYPE_TESTS) {
    if (rule[test] === false) return { Not: { ...rule, [test]: true } };
  }
  if (typeof rule.StringMatches === "string") return { ...rule, StringMatches: literalQuestionMarks(rule.StringMatches) };
  return rule;
}

function literalQuestionMarks(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i]!;
    if (char === "\\" && i + 1 < pattern.length) {
      out += char + pattern[i + 1]!;
      i += 1;
    } else out += char === "?" ? "\\?" : char;
  }
  return out;
}
