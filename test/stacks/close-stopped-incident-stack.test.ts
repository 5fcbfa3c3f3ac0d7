import { beforeAll, describe, expect, it } from "vitest";
import { INCIDENT_MACHINE_ARNS_ENV, STOPPED_STATUSES } from "../../functions/audit/close-stopped-incident.js";
import { SERVICE_HANDLERS } from "../../stacks/handlers.js";
import type { PolicyDocument } from "../../stacks/iam.js";
import { deployedName, machineDeployedName } from "../../stacks/names.js";
import { buildStack, type BuiltStack } from "./build-stack.js";
import { matchesPattern } from "../../workflows/compiler/event-pattern-match.js";
import { ofType, type MockedResource } from "./pulumi-harness.js";

let stack: BuiltStack;
beforeAll(async () => {
  stack = await buildStack();
}, 120_000);

const STAGE = "test";
const NAME = deployedName(STAGE, "audit-close-stopped-incident");
const PREFIX = "arn:aws:states:eu-west-1:123456789012";
const rules = () => ofType(stack.created, "aws:cloudwatch/eventRule:EventRule").filter((rule) => (rule.inputs.name as string).endsWith("-close-stopped"));
const patternOf = (rule: MockedResource) => JSON.parse(rule.inputs.eventPattern as string) as { detail: { status: string[]; stateMachineArn: string[] } };
const machineArn = (runbook: string, machine: string) => `${PREFIX}:stateMachine:${machineDeployedName(STAGE, runbook, machine)}`;
const closer = () => ofType(stack.created, "aws:lambda/function:Function").find((fn) => fn.inputs.name === NAME)!;

function policyOfCloser(): PolicyDocument {
  const role = ofType(stack.created, "aws:iam/role:Role").find((candidate) => candidate.inputs.name === NAME)!;
  const policy = ofType(stack.created, "aws:iam/rolePolicy:RolePolicy").find((candidate) => candidate.inputs.role === `${role.name}-id`)!;
  return JSON.parse(policy.inputs.policy as string) as PolicyDocument;
}

describe("the closer of stopped incidents in the stack", () => {
  it("one rule per runbook hears exactly its incident machine's ABORTED, TIMED_OUT and FAILED ends, and targets the closer", () => {
    const own = rules();
    expect(own).toHaveLength(stack.manifest.runbooks.length);
    const incidentArns = stack.manifest.runbooks.map((runbook) => machineArn(runbook.id, "incident"));
    expect(own.flatMap((rule) => patternOf(rule).detail.stateMachineArn).sort()).toEqual([...incidentArns].sort());
    for (const rule of own) expect(patternOf(rule).detail.status).toEqual(["ABORTED", "TIMED_OUT", "FAILED"]);
    expect([...STOPPED_STATUSES]).toEqual(["ABORTED", "TIMED_OUT", "FAILED"]);

    const ended = (status: string, stateMachineArn: string) => ({ source: "aws.states", "detail-type": "Step Functions Execution Status Change", detail: { status, stateMachineArn } });
    const heard = (event: unknown) => own.some((rule) => matchesPattern(patternOf(rule), event));
    const incident = incidentArns[0]!;
    for (const status of ["ABORTED", "TIMED_OUT", "FAILED"]) expect(heard(ended(status, incident)), status).toBe(true);
    // Post-incident ran (SUCCEEDED), or the execution is still going: nothing to close.
    for (const status of ["SUCCEEDED", "RUNNING", "PENDING_REDRIVE"]) expect(heard(ended(status, incident)), status).toBe(false);
    // A failed phase is caught by the incident machine: phase machines are not heard.
    for (const machine of stack.manifest.machines.filter((candidate) => candidate.machine !== "incident")) expect(heard(ended("FAILED", machineArn(machine.runbook, machine.machine))), machine.name).toBe(false);
    expect(heard(ended("ABORTED", `${PREFIX}:stateMachine:someone-else`))).toBe(false);

    const targets = ofType(stack.created, "aws:cloudwatch/eventTarget:EventTarget");
    for (const rule of own) expect(targets.find((target) => target.inputs.rule === rule.inputs.name)?.inputs.arn).toBe(`arn:aws:lambda:eu-west-1:123456789012:function:${NAME}`);
    const permissions = ofType(stack.created, "aws:lambda/permission:Permission").filter((permission) => permission.inputs.function === NAME);
    expect(permissions).toHaveLength(own.length);
  });

  it("the closer's entry, and its environment: the table, the bucket, the incident machines", () => {
    const fn = closer();
    expect((fn.inputs.tags as Record<string, string>)["irflow:entry"]).toBe(SERVICE_HANDLERS.closeStopped);
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(env.IRFLOW_INCIDENTS_TABLE).toBe(deployedName(STAGE, "incidents", 255));
    expect(env.IRFLOW_AUDIT_BUCKET).toMatch(/^irflow-test-audit-/);
    expect((JSON.parse(env[INCIDENT_MACHINE_ARNS_ENV]!) as string[]).sort()).toEqual(stack.manifest.runbooks.map((runbook) => machineArn(runbook.id, "incident")).sort());
  });

  it("its policy allows only what it calls, on this stage's resources: histories of incident and detect executions, describing incident executions, the incident item, the audit bucket", () => {
    const document = policyOfCloser();
    const statement = (action: string) => {
      const found = document.Statement.filter((candidate) => candidate.Action.includes(action));
      expect(found, action).toHaveLength(1);
      return found[0]!;
    };
    const executions = (machine: string) => stack.manifest.runbooks.map((runbook) => `${PREFIX}:execution:${machineDeployedName(STAGE, runbook.id, machine)}:*`);
    expect(new Set(statement("states:GetExecutionHistory").Resource)).toEqual(new Set([...executions("incident"), ...executions("detect")]));
    expect(new Set(statement("states:DescribeExecution").Resource)).toEqual(new Set(executions("incident")));
    expect(statement("dynamodb:GetItem")).toEqual({ Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: [`arn:aws:dynamodb:eu-west-1:123456789012:table/${deployedName(STAGE, "incidents", 255)}`] });
    expect(statement("s3:ListBucket").Resource).toEqual([expect.stringMatching(/^arn:aws:s3:::irflow-test-audit-[a-z0-9]+$/)]);
    expect(statement("s3:PutObject").Resource).toEqual([expect.stringMatching(/^arn:aws:s3:::irflow-test-audit-[a-z0-9]+\/\*$/)]);
    const actions = document.Statement.flatMap((candidate) => candidate.Action).sort();
    expect(actions).toEqual(["dynamodb:GetItem", "dynamodb:UpdateItem", "logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "states:DescribeExecution", "states:GetExecutionHistory"]);
  });
});
