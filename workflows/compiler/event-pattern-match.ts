/**
 * An EventBridge pattern matcher for the operators irflow's rules use: exact values, prefix,
 * suffix, wildcard, anything-but (values or a prefix), numeric ranges, exists and `$or`. A pattern
 * is an object whose leaves are arrays of matchers; a leaf matches when any matcher matches the
 * field (for an array field, any of its elements); a nested pattern applied to an array matches
 * when any element does. An operator it does not know throws, so neither a rule in a test nor an
 * event played locally passes by using one. `irflow run` routes events with it as EventBridge
 * would; the stack tests check the deployed rules with it.
 */
export function matchesPattern(pattern: Readonly<Record<string, unknown>>, event: unknown): boolean {
  if (Array.isArray(event)) return event.some((element) => matchesPattern(pattern, element));
  if (event === null || typeof event !== "object") return false;
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === "$or") {
      if (!Array.isArray(rule)) throw new Error(`$or takes an array of patterns, not ${JSON.stringify(rule)}`);
      return rule.some((alternative) => matchesPattern(alternative as Record<string, unknown>, event));
    }
    const value = (event as Record<string, unknown>)[key];
    if (Array.isArray(rule)) return matchesLeaf(rule, value);
    if (rule !== null && typeof rule === "object") return matchesPattern(rule as Record<string, unknown>, value);
    throw new Error(`pattern field "${key}" must be an array or an object, not ${JSON.stringify(rule)}`);
  });
}

function matchesLeaf(matchers: readonly unknown[], value: unknown): boolean {
  if (value === undefined) return matchers.some((matcher) => isExists(matcher) && (matcher as { exists: boolean }).exists === false);
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  return matchers.some((matcher) => values.some((one) => matchesValue(matcher, one)));
}

const isExists = (matcher: unknown): boolean => matcher !== null && typeof matcher === "object" && "exists" in matcher;

function matchesValue(matcher: unknown, value: unknown): boolean {
  if (matcher === null || typeof matcher !== "object") return matcher === value;
  const entries: [string, unknown][] = Object.entries(matcher);
  if (entries.length !== 1) throw new Error(`one operator per matcher: ${JSON.stringify(matcher)}`);
  const [op, operand] = entries[0]!;
  switch (op) {
    case "exists":
      return operand === true;
    case "prefix":
    case "suffix":
      return typeof value === "string" && matchesAffix(op, operand, value);
    case "equals-ignore-case":
      return typeof value === "string" && typeof operand === "string" && value.toLowerCase() === operand.toLowerCase();
    case "wildcard":
      return typeof value === "string" && typeof operand === "string" && wildcard(operand).test(value);
    case "anything-but":
      return !anythingBut(operand, value);
    case "numeric":
      return typeof value === "number" && numeric(operand, value);
    default:
      throw new Error(`the matcher does not know the operator "${op}"`);
  }
}

/**
 * A prefix or suffix: a string, or `{"equals-ignore-case": "…"}` for one in any case (EventBridge
 * takes both); any other form throws, so a caller cannot read an unknown form as "no match".
 */
function matchesAffix(op: "prefix" | "suffix", operand: unknown, value: string): boolean {
  const anyCase = typeof operand !== "string";
  const text = anyCase ? ignoringCase(op, operand) : operand;
  const [subject, wanted] = anyCase ? [value.toLowerCase(), text.toLowerCase()] : [value, text];
  return op === "prefix" ? subject.startsWith(wanted) : subject.endsWith(wanted);
}

function ignoringCase(op: string, operand: unknown): string {
  const inner = operand !== null && typeof operand === "object" && Object.keys(operand).length === 1 ? (operand as Record<string, unknown>)["equals-ignore-case"] : undefined;
  if (typeof inner !== "string") throw new Error(`${op} takes a string or {"equals-ignore-case": string}, not ${JSON.stringify(operand)}`);
  return inner;
}

/** Whether the value is one of those `anything-but` excludes. */
function anythingBut(operand: unknown, value: unknown): boolean {
  if (Array.isArray(operand)) return operand.includes(value);
  if (operand !== null && typeof operand === "object") {
    const [[op, inner] = ["", undefined]] = Object.entries(operand);
    if (op === "prefix" || op === "suffix") return typeof value === "string" && matchesAffix(op, inner, value);
    throw new Error(`anything-but does not take ${op}`);
  }
  return operand === value;
}

function numeric(operand: unknown, value: number): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) throw new Error(`numeric needs operator/number pairs: ${JSON.stringify(operand)}`);
  for (let index = 0; index < operand.length; index += 2) {
    const [op, bound] = [operand[index] as unknown, operand[index + 1] as unknown];
    if (typeof bound !== "number") throw new Error(`numeric bound must be a number: ${JSON.stringify(bound)}`);
    const ok = { "=": value === bound, ">": value > bound, ">=": value >= bound, "<": value < bound, "<=": value <= bound }[op as string];
    if (ok === undefined) throw new Error(`unknown numeric operator ${String(op)}`);
    if (!ok) return false;
  }
  return true;
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}
