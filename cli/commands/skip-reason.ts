import { isJsonObject, type JsonValue } from "../../workflows/local/json.js";

/**
 * Why a step's guard (the Choice rule the compiler makes of its `when:`) was false for the input it
 * saw, in the rule's own terms: `$.instance.openToWorld[0] exists`, `$.network.direction is
 * "inbound", not "outbound"`. Undefined when the rule has a shape or path this does not read, or
 * reads it as true: then the engine knows better, and the caller says less rather than guess.
 */
export function skipReason(rule: unknown, input: JsonValue): string | undefined {
  return evaluate(rule, input) === false ? whyFalse(rule, input) : undefined;
}

type Rule = Record<string, unknown>;
const MAX_VALUE = 60;
const COMPARISONS: Readonly<Record<string, (a: number | string, b: number | string) => boolean>> = {
  Equals: (a, b) => a === b,
  GreaterThan: (a, b) => a > b,
  GreaterThanEquals: (a, b) => a >= b,
  LessThan: (a, b) => a < b,
  LessThanEquals: (a, b) => a <= b,
};
const FAMILIES = ["Numeric", "String", "Timestamp"] as const;
const SYMBOLS: Readonly<Record<string, string>> = { GreaterThan: ">", GreaterThanEquals: ">=", LessThan: "<", LessThanEquals: "<=" };
const isRule = (value: unknown): value is Rule => isJsonObject(value);
const rules = (value: unknown): Rule[] | undefined => (Array.isArray(value) && value.every(isRule) ? value : undefined);

/** The value at a plain path (`$`, `$.a.b`, `$.a[0]`, `$['a']`); `missing` when absent, undefined when the path is not plain. */
const MISSING = Symbol("missing");
function read(path: unknown, input: JsonValue): JsonValue | typeof MISSING | undefined {
  if (typeof path !== "string" || !path.startsWith("$") || path.startsWith("$$")) return undefined;
  const segments = /^(?:\.[A-Za-z_][\w-]*|\[\d+\]|\['[^']*'\])*$/.test(path.slice(1)) ? (path.slice(1).match(/\.[A-Za-z_][\w-]*|\[\d+\]|\['[^']*'\]/g) ?? []) : undefined;
  if (!segments) return undefined;
  let value: JsonValue = input;
  for (const segment of segments) {
    const key = segment.startsWith(".") ? segment.slice(1) : segment.startsWith("['") ? segment.slice(2, -2) : Number(segment.slice(1, -1));
    if (typeof key === "number" && Array.isArray(value) && key < value.length) value = value[key]!;
    else if (typeof key === "string" && isJsonObject(value) && Object.hasOwn(value, key)) value = value[key]!;
    else return MISSING;
  }
  return value;
}

/** The one comparison a leaf makes: its operator name and operand, or undefined for And/Or/Not. */
function comparisonOf(rule: Rule): { readonly op: string; readonly operand: unknown } | undefined {
  const op = Object.keys(rule).find((key) => key !== "Variable" && key !== "Next");
  return op === undefined || op === "And" || op === "Or" || op === "Not" ? undefined : { op, operand: rule[op] };
}

/** true / false as Step Functions would decide, undefined for what this does not read. */
function evaluate(rule: unknown, input: JsonValue): boolean | undefined {
  if (!isRule(rule)) return undefined;
  const and = rules(rule.And);
  if (and) return combine(and.map((r) => evaluate(r, input)), "every");
  const or = rules(rule.Or);
  if (or) return combine(or.map((r) => evaluate(r, input)), "some");
  if (rule.Not !== undefined) {
    const inner = evaluate(rule.Not, input);
    return inner === undefined ? undefined : !inner;
  }
  const comparison = comparisonOf(rule);
  const value = read(rule.Variable, input);
  if (!comparison || value === undefined) return undefined;
  const { op, operand } = comparison;
  if (op === "IsPresent") return (value !== MISSING) === operand;
  if (value === MISSING) return false;
  if (op === "IsNull") return (value === null) === operand;
  if (op === "BooleanEquals") return value === operand;
  if (op === "StringMatches") return typeof value === "string" && typeof operand === "string" ? wildcard(operand).test(value) : undefined;
  const family = FAMILIES.find((f) => op.startsWith(f));
  const compare = family ? COMPARISONS[op.slice(family.length)] : undefined;
  if (!family || !compare) return undefined;
  if (family === "Numeric") return typeof value === "number" && typeof operand === "number" ? compare(value, operand) : false;
  if (family === "String") return typeof value === "string" && typeof operand === "string" ? compare(value, operand) : false;
  const [a, b] = [typeof value === "string" ? Date.parse(value) : NaN, typeof operand === "string" ? Date.parse(operand) : NaN];
  return Number.isNaN(a) || Number.isNaN(b) ? false : compare(a, b);
}

function combine(results: readonly (boolean | undefined)[], mode: "every" | "some"): boolean | undefined {
  if (results.includes(undefined)) return undefined;
  return mode === "every" ? results.every(Boolean) : results.some(Boolean);
}

/** StringMatches: `*` is any run of characters, `\*` a literal one. */
function wildcard(pattern: string): RegExp {
  const parts = pattern.split(/(\\\*|\*)/).map((part) => (part === "*" ? ".*" : part === "\\*" ? "\\*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${parts.join("")}$`, "s");
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
};

/** Why a rule that evaluates false is false: the first false part of an And, every part of an Or. */
function whyFalse(rule: unknown, input: JsonValue): string | undefined {
  if (!isRule(rule)) return undefined;
  const and = rules(rule.And);
  if (and) {
    const failed = and.find((r) => evaluate(r, input) === false);
    return failed && whyFalse(failed, input);
  }
  const or = rules(rule.Or);
  if (or) {
    const reasons = or.map((r) => whyFalse(r, input));
    return reasons.every((r) => r !== undefined) ? [...new Set(reasons)].join(" and ") : undefined;
  }
  if (rule.Not !== undefined) return whyTrue(rule.Not, input);
  const comparison = comparisonOf(rule);
  const variable = String(rule.Variable);
  const value = read(rule.Variable, input);
  if (!comparison || value === undefined) return undefined;
  const { op, operand } = comparison;
  if (op === "IsPresent") return operand ? `${variable} is missing` : `${variable} is present`;
  if (value === MISSING) return `${variable} is missing`;
  if (op === "IsNull") return operand ? `${variable} is not null` : `${variable} is null`;
  const family = FAMILIES.find((f) => op.startsWith(f));
  const symbol = family ? SYMBOLS[op.slice(family.length)] : undefined;
  const expected = op === "StringMatches" ? `like ${show(operand)}` : `${symbol ? `${symbol} ` : ""}${show(operand)}`;
  return `${variable} is ${show(value)}, not ${expected}`;
}

/** Why a rule that evaluates true is true (what made a `Not` false): its guards folded into "exists". */
function whyTrue(rule: unknown, input: JsonValue): string | undefined {
  if (!isRule(rule)) return undefined;
  const and = rules(rule.And);
  if (and) {
    // IsPresent/IsNull guards say no more than "exists" when the same variable is compared too.
    const compared = new Set(and.filter((r) => !isGuard(r)).map((r) => r.Variable));
    const parts = and.filter((r) => !(isGuard(r) && compared.has(r.Variable)));
    const reasons = foldGuards(parts).map((r) => (typeof r === "string" ? r : whyTrue(r, input)));
    return reasons.every((r) => r !== undefined) ? [...new Set(reasons)].join(" and ") : undefined;
  }
  const or = rules(rule.Or);
  if (or) {
    const held = or.find((r) => evaluate(r, input) === true);
    return held && whyTrue(held, input);
  }
  if (rule.Not !== undefined) return whyFalse(rule.Not, input);
  const comparison = comparisonOf(rule);
  const variable = String(rule.Variable);
  const value = read(rule.Variable, input);
  if (!comparison || value === undefined || value === MISSING) return comparison?.op === "IsPresent" && value === MISSING ? `${variable} is missing` : undefined;
  if (comparison.op === "IsPresent") return `${variable} exists`;
  if (comparison.op === "IsNull") return comparison.operand ? `${variable} is null` : `${variable} exists`;
  return `${variable} is ${show(value)}`;
}

const isGuard = (rule: Rule): boolean => (rule.IsPresent === true || rule.IsNull === false) && Object.keys(rule).length === 2;

/** An IsPresent + IsNull pair on one variable reads as "<variable> exists". */
function foldGuards(parts: readonly Rule[]): (Rule | string)[] {
  const folded: (Rule | string)[] = [];
  const said = new Set<unknown>();
  for (const part of parts) {
    if (!isGuard(part)) folded.push(part);
    else if (!said.has(part.Variable)) {
      said.add(part.Variable);
      folded.push(`${String(part.Variable)} exists`);
    }
  }
  return folded;
}
