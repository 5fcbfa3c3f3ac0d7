import type { Comparison, ComparisonCondition, Condition } from "../runbook/schema.js";
import { COMPARISONS } from "../runbook/schema.js";
import type { AslObject } from "./asl.js";
import { resolvePath, type PathScope, type ValueSite } from "./compile-inputs.js";
import { typesOf, type JsonType } from "./json-schema.js";

/**
 * Compiles a `when:` condition into a Choice rule. Every comparison is guarded by IsPresent and
 * IsNull so that a missing or null field makes the condition false instead of failing the state
 * with States.Runtime, which is what a runbook author means by "when this is …".
 */
export function compileCondition(condition: Condition, scope: PathScope, site: ValueSite): AslObject | undefined {
  if ("all" in condition) return combine("And", condition.all, "all", scope, site);
  if ("any" in condition) return combine("Or", condition.any, "any", scope, site);
  if ("not" in condition) {
    const inner = compileCondition(condition.not, scope, { ...site, path: [...site.path, "not"] });
    return inner && { Not: inner };
  }
  return compileComparison(condition, scope, site);
}

function combine(operator: "And" | "Or", parts: readonly Condition[], key: string, scope: PathScope, site: ValueSite): AslObject | undefined {
  const rules: AslObject[] = [];
  for (const [index, part] of parts.entries()) {
    const rule = compileCondition(part, scope, { ...site, path: [...site.path, key, index] });
    if (!rule) return undefined;
    rules.push(rule);
  }
  return rules.length === 1 ? rules[0] : { [operator]: rules };
}

function compileComparison(condition: ComparisonCondition, scope: PathScope, site: ValueSite): AslObject | undefined {
  const pathSite = { ...site, path: [...site.path, "path"] };
  const resolved = resolvePath(condition.path, scope, pathSite);
  if (!resolved) return undefined;
  const variable = resolved.path;
  const present: AslObject[] = [
    { Variable: variable, IsPresent: true },
    { Variable: variable, IsNull: false },
  ];
  const op = COMPARISONS.find((name) => condition[name] !== undefined) as Comparison;
  const operandSite = { ...site, path: [...site.path, op] };
  const have = typesOf(resolved.schema);

  if (op === "exists") {
    const exists: AslObject = { And: present };
    return condition.exists ? exists : { Not: exists };
  }
  if (op === "in") {
    const values = condition.in ?? [];
    const rules: AslObject[] = [];
    for (const value of values) {
      const rule = equality(variable, value, have, operandSite);
      if (!rule) return undefined;
      rules.push(rule);
    }
    return { And: [...present, { Or: rules }] };
  }
  if (op === "matches") {
    if (!expectType(have, "string", operandSite, condition.path)) return undefined;
    return { And: [...present, { Variable: variable, StringMatches: condition.matches ?? "" }] };
  }
  if (op === "equals" || op === "not-equals") {
    const rule = equality(variable, condition[op]!, have, operandSite);
    if (!rule) return undefined;
    return { And: [...present, op === "equals" ? rule : { Not: rule }] };
  }
  const operand = condition[op]!;
  const family = typeof operand === "number" ? "Numeric" : have.has("string") && isTimestamp(operand) ? "Timestamp" : "String";
  if (!expectType(have, family === "Numeric" ? "number" : "string", operandSite, condition.path)) return undefined;
  const suffix = { gt: "GreaterThan", gte: "GreaterThanEquals", lt: "LessThan", lte: "LessThanEquals" }[op];
  return { And: [...present, { Variable: variable, [`${family}${suffix}`]: operand }] };
}

function equality(variable: string, value: string | number | boolean, have: Set<JsonType>, site: ValueSite): AslObject | undefined {
  if (typeof value === "number") return expectType(have, "number", site, variable) ? { Variable: variable, NumericEquals: value } : undefined;
  if (typeof value === "boolean") return expectType(have, "boolean", site, variable) ? { Variable: variable, BooleanEquals: value } : undefined;
  return expectType(have, "string", site, variable) ? { Variable: variable, StringEquals: value } : undefined;
}

function expectType(have: Set<JsonType>, want: JsonType, site: ValueSite, path: string): boolean {
  if (have.has(want)) return true;
  site.bag.error(site.yaml.positionOf(site.path), "condition-type", `${site.label}: ${path} holds ${[...have].join(" or ")}, so it cannot be compared with a ${want}`);
  return false;
}

function isTimestamp(value: string | number): boolean {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/.test(value);
}
