import { describe, expect, it } from "vitest";
import * as z from "zod";
import { SYSTEM_TASKS, TASK_CONTRACTS } from "../../functions/registry.js";

/**
 * Every task validates the AWS identifiers in its input against AWS's formats before any call:
 * a runbook or an event that puts a shell fragment, a path or a second id into an id field is
 * refused as InvalidInput, whatever the task does with the value afterwards.
 */

const system = new Set<string>(Object.values(SYSTEM_TASKS));
const library = TASK_CONTRACTS.filter((contract) => !system.has(contract.name));
const IDENTIFIER = /(?:Id|Ids|Name|Names|Arn|Arns|^cidr|Cidr|^ip|Bucket)$/;
const HOSTILE = ["i-123; rm -rf /", "i-0123456789abcdef0; rm -rf /", "sg-0123456789abcdef0 OR 1=1", "../../etc/passwd x", "$(reboot) now", "a\nb", ""];

/** The schema of one value: optional, default, nullable and array wrappers removed. */
function leaf(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (let depth = 0; depth < 6; depth += 1) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else break;
  }
  return current;
}

const fields = library.flatMap((contract) =>
  Object.entries(contract.input.shape)
    .filter(([name]) => IDENTIFIER.test(name))
    .map(([name, schema]) => ({ task: contract.name, risk: contract.risk, name, schema: leaf(schema as z.ZodType) })),
);

describe("resource ids in task inputs", () => {
  it("finds the id fields of every task that changes something", () => {
    const writers = library.filter((c) => c.risk !== "read").map((c) => c.name);
    const withIds = new Set(fields.map((f) => f.task));
    // sns.notify and the like change nothing; every changing task names what it changes.
    expect(writers.filter((name) => !withIds.has(name))).toEqual([]);
  });

  it.each(fields.map((f) => [`${f.task} ${f.name}`, f] as const))("%s rejects values that are not AWS ids", (_label, field) => {
    for (const value of HOSTILE) {
      const parsed = field.schema.safeParse(value);
      expect(parsed.success, `${field.task}.${field.name} accepted ${JSON.stringify(value)}`).toBe(false);
    }
  });

  it("is a format, not just a type: no id field of a changing task is a bare string", () => {
    const bare = fields.filter((f) => f.risk !== "read" && f.schema instanceof z.ZodString && (f.schema).def.checks === undefined);
    expect(bare.map((f) => `${f.task}.${f.name}`)).toEqual([]);
  });
});
