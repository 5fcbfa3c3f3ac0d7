import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TaskError } from "../../functions/contract/errors.js";
import type { StateMachine } from "../../workflows/compiler/asl.js";
import { loadGeneratedMachines } from "../../workflows/local/generated-machines.js";
import { InMemoryHistory } from "../../workflows/local/history.js";
import { LocalEngine } from "../../workflows/local/local-engine.js";
import { eventually } from "./machines.js";
import { fakeTasks } from "./fake-tasks.js";

const GENERATED = resolve(import.meta.dirname, "../../workflows/generated");
const RUNBOOK = "ssh-rdp-brute-force";
const INCIDENT_ID = "inc-20250601-ssh-0001";
const INSTANCE_ID = "i-0123456789abcdef0";
const FINDING = { findingId: "0123456789abcdef0123456789abcdef", detectorId: "fedcba9876543210fedcba9876543210" };
const arnOf = (machine: string, name: string) => `arn:aws:states:local:000000000000:execution:irflow-${machine}:${name}`;

/** A GuardDuty SSH brute-force finding as EventBridge delivers it (only what the fake detect reads). */
const finding = { source: "aws.guardduty", "detail-type": "GuardDuty Finding", detail: { id: FINDING.findingId, type: "UnauthorizedAccess:EC2/SSHBruteForce" } };

const instance = {
  instanceId: INSTANCE_ID,
  state: "running",
  instanceType: "t3.micro",
  platform: "linux",
  imageId: "ami-0123456789abcdef0",
  launchTime: "2025-05-01T00:00:00.000Z",
  availabilityZone: "us-east-1a",
  vpcId: "vpc-0123456789abcdef0",
  subnetId: "subnet-0123456789abcdef0",
  securityGroupIds: ["sg-0123456789abcdef0"],
  networkInterfaceIds: ["eni-0123456789abcdef0"],
  volumeIds: ["vol-0123456789abcdef0"],
  targetGroupArns: [],
  tags: { Name: "bastion" },
  exempt: false,
  // Nothing opens the attacked port to the world, so Contain has no port to close and asks no one.
  openToWorld: [],
};

function incidentTasks(overrides: Record<string, ((input: Record<string, unknown>) => Record<string, unknown>) | Error> = {}) {
  return fakeTasks({
    "detect.open-incident": (input) => ({
      incidentId: INCIDENT_ID,
      duplicate: false,
      runbook: input.runbook,
      openedAt: "2025-06-01T12:00:00.000Z",
      severity: { label: "medium", score: 5 },
      trigger: { source: "guardduty", type: "UnauthorizedAccess:EC2/SSHBruteForce", eventId: "evt-1", time: "2025-06-01T11:59:00.000Z", region: "us-east-1", accountId: "123456789012", ...FINDING },
      resource: { kind: "ec2-instance", instanceId: INSTANCE_ID },
      network: { remoteIp: "203.0.113.7", localPort: 22, protocol: "tcp", direction: "inbound" },
    }),
    "ec2.describe-instance": () => instance,
    "ec2.block-ip": () => ({
      cidr: "203.0.113.7/32",
      entries: [
        { networkAclId: "acl-0123456789abcdef0", ruleNumber: 10, egress: false },
        { networkAclId: "acl-0123456789abcdef0", ruleNumber: 10, egress: true },
      ],
      expiresAt: "2025-06-02T12:00:00.000Z",
    }),
    "sns.notify": () => ({ messageId: "msg-1" }),
    // Bound (every Task needs a handler) but skipped: nothing opens the attacked port to the world.
    "approval.request": () => ({}),
    "ec2.revoke-security-group-rule": new Error("not expected: no world-open rule to revoke"),
    "guardduty.archive-finding": () => ({ ...FINDING, wasArchived: false }),
    "guardduty.send-feedback": () => ({ ...FINDING, feedback: "USEFUL" }),
    "audit.record-failure": () => ({ recorded: true }),
    "audit.close-incident": (input) => ({ reportLocation: `s3://audit/${INCIDENT_ID}/report.md`, status: (input.document as { failure?: unknown }).failure ? "failed" : "resolved" }),
    ...overrides,
  });
}

let definitions: Map<string, StateMachine>;
beforeAll(async () => {
  definitions = await loadGeneratedMachines(GENERATED, [RUNBOOK, "ec2-instance-compromise"]);
});

function incidentEngine(tasks: ReturnType<typeof incidentTasks>) {
  const history = new InMemoryHistory();
  const engine = new LocalEngine({ definitions: new Map([...definitions].filter(([key]) => key.startsWith(`${RUNBOOK}/`))), tasks: tasks.task, history, retryDelayScale: 0 });
  return { engine, history };
}

const enteredStates = (history: InMemoryHistory, arn: string) => history.events(arn).flatMap((e) => (e.type === "TaskStateEntered" ? [e.details.name] : []));

describe("the generated ssh-rdp-brute-force incident machine, end to end", () => {
  it("runs Detect → Contain → Eradicate → Recover → Post-incident and succeeds", async () => {
    const tasks = incidentTasks();
    const { engine, history } = incidentEngine(tasks);
    const run = engine.start(`${RUNBOOK}/incident`, finding, { name: INCIDENT_ID });
    const outcome = await run.result;

    expect(outcome).toMatchObject({
      status: "SUCCEEDED",
      output: { incidentId: INCIDENT_ID, instance: { subnetId: instance.subnetId, publicIp: null }, block: { cidr: "203.0.113.7/32" }, closure: { status: "resolved" } },
    });
    expect(enteredStates(history, run.executionArn)).toEqual(["Detect", "Contain", "Eradicate", "Recover", "Post-incident"]);
    // Steps that change something plan first, also without approval: the plan bounds them.
    expect(tasks.calls.map((call) => `${call.mode} ${call.task}`)).toEqual([
      "run detect.open-incident",
      "run ec2.describe-instance",
      "plan ec2.block-ip",
      "run ec2.block-ip",
      "run sns.notify",
      "plan guardduty.archive-finding",
      "run guardduty.archive-finding",
      "run guardduty.send-feedback",
      "run audit.close-incident",
    ]);
    expect(tasks.calls[0]?.input).toMatchObject({ event: finding, runbook: { id: RUNBOOK }, executionId: expect.stringMatching(new RegExp(`:execution:irflow-${RUNBOOK}-detect:`)) });
    expect(tasks.calls[1]?.input).toEqual({ instanceId: INSTANCE_ID, exposedPort: 22 });
    expect(tasks.calls[3]?.input).toEqual({ subnetId: instance.subnetId, ip: "203.0.113.7", expiresAfterHours: 24 });

    // Each later phase is a child named after the incident, started by this execution.
    for (const phase of ["contain", "eradicate", "recover", "post-incident"]) {
      expect(engine.describeExecution(arnOf(`${RUNBOOK}-${phase}`, `${INCIDENT_ID}-${phase}`))).toMatchObject({ status: "SUCCEEDED", parentExecutionId: run.executionArn });
    }
    expect(history.events(run.executionArn).at(-1)?.type).toBe("ExecutionSucceeded");
  });

  it("still runs Post-incident after a failed Contain, and ends FAILED", async () => {
    const tasks = incidentTasks({ "ec2.block-ip": new TaskError("PreconditionFailed", "network ACL acl-0123456789abcdef0 has no free rule number") });
    const { engine, history } = incidentEngine(tasks);
    const run = engine.start(`${RUNBOOK}/incident`, finding, { name: INCIDENT_ID });
    const outcome = await run.result;

    expect(outcome).toMatchObject({ status: "FAILED", error: "IncidentFailed" });
    const childFailure = JSON.parse((outcome as { cause: string }).cause) as { Error: string; Cause: string; Name: string };
    expect(childFailure).toMatchObject({ Error: "PreconditionFailed", Name: `${INCIDENT_ID}-contain`, Status: "FAILED" });
    expect(JSON.parse(childFailure.Cause)).toMatchObject({ errorType: "PreconditionFailed", errorMessage: expect.stringContaining("no free rule number") });

    expect(enteredStates(history, run.executionArn)).toEqual(["Detect", "Contain", "Post-incident"]);
    expect(tasks.calls.map((call) => `${call.mode} ${call.task}`)).toEqual(["run detect.open-incident", "run ec2.describe-instance", "plan ec2.block-ip", "run ec2.block-ip", "run audit.record-failure", "run audit.close-incident"]);
    expect(tasks.calls[4]?.input).toMatchObject({ incidentId: INCIDENT_ID, stepId: "contain/block-the-attacking-address", error: { Error: "PreconditionFailed" } });
    const close = tasks.calls[5]!;
    expect(close.input).toMatchObject({ document: { failure: { Error: "States.TaskFailed" } } });
    expect(engine.describeExecution(arnOf(`${RUNBOOK}-contain`, `${INCIDENT_ID}-contain`))).toMatchObject({ status: "FAILED", outcome: { error: "PreconditionFailed" } });
    expect(engine.describeExecution(arnOf(`${RUNBOOK}-post-incident`, `${INCIDENT_ID}-post-incident`))).toMatchObject({ status: "SUCCEEDED" });
  });
});

describe("a generated approval gate (ec2-instance-compromise contain), end to end", () => {
  const document = {
    incidentId: INCIDENT_ID,
    duplicate: false,
    runbook: { id: "ec2-instance-compromise", revision: "r" },
    openedAt: "2025-06-01T12:00:00.000Z",
    severity: { label: "high", score: 8 },
    trigger: { source: "guardduty", type: "Backdoor:EC2/C&CActivity.B", eventId: "evt-2", time: "2025-06-01T11:59:00.000Z", region: "us-east-1", accountId: "123456789012", ...FINDING },
    resource: { kind: "ec2-instance", instanceId: INSTANCE_ID },
    instance: { ...instance, autoScalingGroupName: null, iamRoleName: null },
  };

  function containEngine() {
    const tasks = fakeTasks({
      "ec2.snapshot-volumes": () => ({ instanceId: INSTANCE_ID, snapshots: [{ volumeId: "vol-0123456789abcdef0", snapshotId: "snap-0123456789abcdef0", deviceName: "/dev/xvda" }], startedAt: "2025-06-01T12:01:00.000Z" }),
      "ec2.isolate-instance": () => ({ instanceId: INSTANCE_ID, vpcId: instance.vpcId, originalGroupIds: instance.securityGroupIds, quarantineGroupId: "sg-0fedcba9876543210", terminationProtection: true, volumesKeptOnTermination: 1 }),
      "ec2.tag-instance": (input) => ({ instanceId: INSTANCE_ID, tags: input.tags, previousValues: {} }),
      "ec2.capture-memory": () => ({ instanceId: INSTANCE_ID, commandId: "0b7c1a2e-3f4d-4e5a-8b6c-7d8e9f0a1b2c", bucket: "irflow-evidence-123456789012", key: `memory/${INSTANCE_ID}.lime`, sha256: "0".repeat(64), sizeBytes: 1024, completedAt: "2025-06-01T12:05:00.000Z" }),
      "approval.request": () => ({}),
      "audit.record-failure": () => ({ recorded: true }),
      // Bound (every Task needs a handler) but skipped: the instance has no Auto Scaling group and no role.
      "autoscaling.detach-instance": new Error("not expected: the instance has no Auto Scaling group"),
      "iam.revoke-role-sessions": new Error("not expected: the instance has no role"),
    });
    const contain = new Map([...definitions].filter(([key]) => key === "ec2-instance-compromise/contain"));
    const engine = new LocalEngine({ definitions: contain, tasks: tasks.task, history: new InMemoryHistory(), retryDelayScale: 0 });
    return { engine, tasks };
  }

  it("waits at the approval and isolates once a responder approves", async () => {
    const { engine, tasks } = containEngine();
    const run = engine.start("ec2-instance-compromise/contain", document, { name: `${INCIDENT_ID}-contain` });
    const pending = await eventually(() => engine.pendingTokens()[0]);
    expect(pending.stateName).toBe("Approve: Isolate the instance");
    expect(pending.payload).toMatchObject({ taskToken: pending.token, stepId: "contain/isolate-the-instance", plans: [{ digest: "sha256:ec2.isolate-instance" }], executionId: run.executionArn });
    expect(tasks.calls.map((c) => `${c.mode} ${c.task}`)).toEqual(["run ec2.snapshot-volumes", "plan ec2.isolate-instance", "run approval.request"]);

    engine.sendTaskSuccess(pending.token, { approvalId: "apr-1", approvers: ["arn:aws:iam::123456789012:role/IncidentResponder"], decidedAt: "2025-06-01T12:05:00.000Z" });
    await expect(run.result).resolves.toMatchObject({ status: "SUCCEEDED", output: { isolation: { quarantineGroupId: "sg-0fedcba9876543210" }, tagging: { tags: { "irflow:incident": INCIDENT_ID } } } });
    expect(tasks.calls.map((c) => `${c.mode} ${c.task}`).slice(3)).toEqual(["run ec2.isolate-instance", "plan ec2.tag-instance", "run ec2.tag-instance", "run ec2.capture-memory"]);
  });

  it("records the rejection and fails the phase with Rejected", async () => {
    const { engine, tasks } = containEngine();
    const run = engine.start("ec2-instance-compromise/contain", document);
    const pending = await eventually(() => engine.pendingTokens()[0]);
    engine.sendTaskFailure(pending.token, "Rejected", "the instance is a honeypot");
    await expect(run.result).resolves.toEqual({ status: "FAILED", error: "Rejected", cause: "the instance is a honeypot" });
    expect(tasks.calls.at(-1)).toMatchObject({ task: "audit.record-failure", input: { error: { Error: "Rejected", Cause: "the instance is a honeypot" } } });
    expect(tasks.calls.map((c) => c.task)).not.toContain("ec2.tag-instance");
  });
});
