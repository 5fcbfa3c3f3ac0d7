/**
 * Fills the placeholders the compiler leaves in generated ASL: `${Task:<task>}` (a Lambda) and
 * `${Machine:<runbook>/<machine>}` (a phase machine). A placeholder is always a whole string value;
 * anything else that looks like one is refused, so a new placeholder form cannot deploy unfilled.
 */
const PLACEHOLDER = /^\$\{(Task|Machine):([^}]+)\}$/;

export interface DefinitionArns {
  /** Function ARN by task name. */
  readonly tasks: Readonly<Record<string, string>>;
  /** State machine ARN by `<runbook>/<machine>`. */
  readonly machines: Readonly<Record<string, string>>;
}

export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
}

export function fillDefinition(definition: unknown, arns: DefinitionArns, where = "definition"): unknown {
  const visit = (value: unknown, path: string): unknown => {
    if (typeof value === "string") return fillString(value, arns, `${where}: ${path}`);
    if (Array.isArray(value)) return value.map((item, index) => visit(item, `${path}[${index}]`));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item, `${path}.${key}`)]));
    }
    return value;
  };
  return visit(definition, "$");
}

function fillString(value: string, arns: DefinitionArns, where: string): string {
  const match = PLACEHOLDER.exec(value);
  if (!match) {
    if (value.includes("${")) throw new DefinitionError(`${where}: unknown placeholder in ${JSON.stringify(value)}`);
    return value;
  }
  const [, kind, name] = match as unknown as [string, "Task" | "Machine", string];
  const arn = kind === "Task" ? arns.tasks[name] : arns.machines[name];
  if (arn === undefined) throw new DefinitionError(`${where}: ${kind} ${name} is not deployed`);
  return arn;
}

/** Every placeholder a definition uses, by kind (what its role must be allowed to call). */
export function placeholdersOf(definition: unknown): { tasks: Set<string>; machines: Set<string> } {
  const found = { tasks: new Set<string>(), machines: new Set<string>() };
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      const match = PLACEHOLDER.exec(value);
      if (match) (match[1] === "Task" ? found.tasks : found.machines).add(match[2]!);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(visit);
  };
  visit(definition);
  return found;
}
