import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { findTask } from "../../functions/registry.js";
import { RESOURCES, type PassState, type State, type TaskState } from "../../workflows/compiler/asl.js";
import { lineOf, SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { allStates, choiceOf, choose, compile, compileOk, errorCodes, followNext, machineOf, mapOf, mutate, SAMPLE_FILE, STALE_KEYS_RUNBOOK, stateOf, taskOf } from "./helpers.js";

const sample = compileOk(SAMPLE_RUNBOOK);
const detect = machineOf(sample, "detect");
const contain = machineOf(sample, "contain");
const eradicate = machineOf(sample, "eradicate");
const recover = machineOf(sample, "recover");
const postIncident = machineOf(sample, "post-incident");
const PHASE_MACHINES = [detect, contain, eradicate, recover, postIncident];

const RESPONDER = "arn:aws:iam::*:role/IncidentResponder";
const LEAD = "arn:aws:iam::*:role/IncidentLead";
const ON_CALL = "arn:aws:iam::*:role/SecurityOnCall";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Catch clauses as [errors, target] pairs, in order. */
const catches = (state: TaskState) => (state.Catch ?? []).map((c) => [c.ErrorEquals, c.Next, c.ResultPath]);

describe("a reversible step with approval (Isolate the instance)", () => {
  it("becomes Plan → Approve → action, linked by Next in that order", () => {
    expect(contain.StartAt).toBe("Plan: Isolate the instance");
    expect(taskOf(contain, "Plan: Isolate the instance").Next).toBe("Approve: Isolate the instance");
    expect(taskOf(contain, "Approve: Isolate the instance").Next).toBe("Isolate the instance");
    expect(taskOf(contain, "Isolate the instance").Next).toBe("Snapshot the volumes");
    const names = Object.keys(contain.States);
    const at = (name: string) => names.indexOf(name);
    expect(at("Plan: Isolate the instance")).toBeLessThan(at("Approve: Isolate the instance"));
    expect(at("Approve: Isolate the instance")).toBeLessThan(at("Isolate the instance"));
  });

  it("plans with the same task and input, in plan mode, into $.step.plan", () => {
    const plan = taskOf(contain, "Plan: Isolate the instance");
    const act = taskOf(contain, "Isolate the instance");
    expect(plan.Resource).toBe(RESOURCES.lambdaInvoke);
    expect(plan.Parameters.FunctionName).toBe("${Task:ec2.isolate-instance}");
    expect(plan.Parameters.Payload).toMatchObject({ mode: "plan", input: { "instanceId.$": "$.resource.instanceId" } });
    expect(act.Parameters.Payload).toMatchObject({ mode: "run", input: { "instanceId.$": "$.resource.instanceId" } });
    expect(plan.ResultPath).toBe("$.step.plan");
    expect(plan.ResultSelector).toEqual({ "digest.$": "$.Payload.digest", "summary.$": "$.Payload.summary", "changes.$": "$.Payload.changes" });
    expect(catches(plan)).toEqual([[["States.ALL"], "Record failure: Isolate the instance", "$.step.error"]]);
  });

  it("waits for a callback with the task token, the default approvers and the runbook's timeout", () => {
    const approve = taskOf(contain, "Approve: Isolate the instance");
    expect(approve.Resource).toBe("arn:aws:states:::lambda:invoke.waitForTaskToken");
    expect(approve.Parameters.FunctionName).toBe("${Task:approval.request}");
    expect(approve.Parameters.Payload).toMatchObject({
      "taskToken.$": "$$.Task.Token",
      "incidentId.$": "$.incidentId",
      stepId: "contain/isolate-the-instance",
      stepTitle: "Isolate the instance",
      task: "ec2.isolate-instance",
      risk: "reversible",
      "plans.$": "States.Array($.step.plan)",
      approvers: [RESPONDER],
      requiredApprovals: 1,
      timeoutSeconds: 900,
      onTimeout: "escalate",
      escalation: false,
    });
    // timeout: 15m
    expect(approve.TimeoutSeconds).toBe(900);
    expect(approve.ResultPath).toBe("$.step.approval");
  });

  it("catches the timeout first, then a rejection, then anything else", () => {
    const approve = taskOf(contain, "Approve: Isolate the instance");
    expect(catches(approve)).toEqual([
      [["States.Timeout"], "Escalate: Isolate the instance", "$.step.error"],
      [["Rejected"], "Record failure: Isolate the instance", "$.step.error"],
      [["States.ALL"], "Record failure: Isolate the instance", "$.step.error"],
    ]);
  });

  it("escalates once to approvers.escalation, whose own timeout records the failure", () => {
    const escalate = taskOf(contain, "Escalate: Isolate the instance");
    expect(escalate.Resource).toBe(RESOURCES.lambdaInvokeCallback);
    expect(escalate.Parameters.Payload).toMatchObject({ "taskToken.$": "$$.Task.Token", approvers: [ON_CALL], escalation: true, onTimeout: "abort", requiredApprovals: 1 });
    expect(escalate.TimeoutSeconds).toBe(900);
    expect(escalate.Next).toBe("Isolate the instance");
    expect(catches(escalate)).toEqual([
      [["States.Timeout"], "Record failure: Isolate the instance", "$.step.error"],
      [["Rejected"], "Record failure: Isolate the instance", "$.step.error"],
      [["States.ALL"], "Record failure: Isolate the instance", "$.step.error"],
    ]);
  });

  it("with on-timeout: proceed, runs the action when nobody answers", () => {
    const machine = machineOf(compileOk(mutate("on-timeout: escalate", "on-timeout: proceed")), "contain");
    const approve = taskOf(machine, "Approve: Isolate the instance");
    expect(approve.Catch?.[0]).toEqual({ ErrorEquals: ["States.Timeout"], ResultPath: "$.step.error", Next: "Isolate the instance" });
    expect(approve.Catch?.[1]?.Next).toBe("Record failure: Isolate the instance");
    expect(approve.Parameters.Payload).toMatchObject({ onTimeout: "proceed" });
    expect(machine.States["Escalate: Isolate the instance"]).toBeUndefined();
  });

  it.each([
    ["on-timeout: abort", "on-timeout: abort"],
    ["the default on-timeout", ""],
  ])("with %s, records the failure on a timeout", (_label, replacement) => {
    const machine = machineOf(compileOk(mutate("on-timeout: escalate\n", replacement ? `${replacement}\n` : "")), "contain");
    const approve = taskOf(machine, "Approve: Isolate the instance");
    expect(approve.Catch?.[0]).toEqual({ ErrorEquals: ["States.Timeout"], ResultPath: "$.step.error", Next: "Record failure: Isolate the instance" });
    expect(approve.Parameters.Payload).toMatchObject({ onTimeout: "abort" });
    expect(machine.States["Escalate: Isolate the instance"]).toBeUndefined();
  });

  it("waits one hour when the step sets no timeout", () => {
    const machine = machineOf(compileOk(mutate("timeout: 15m\n", "")), "contain");
    const approve = taskOf(machine, "Approve: Isolate the instance");
    expect(approve.TimeoutSeconds).toBe(3600);
    expect(approve.Parameters.Payload).toMatchObject({ timeoutSeconds: 3600 });
  });

  it("makes a machine timeout long enough for both approval waits", () => {
    // Approve and Escalate may each wait 15 minutes; the machine must outlast them.
    expect(contain.TimeoutSeconds).toBeGreaterThanOrEqual(2 * 900);
    const withoutApproval = machineOf(compileOk(mutate("approval: required\ntimeout: 15m\non-timeout: escalate\n", "approval: none\n")), "contain");
    expect(contain.TimeoutSeconds!).toBeGreaterThan(withoutApproval.TimeoutSeconds!);
  });
});

describe("a destructive step (Terminate the instance)", () => {
  it("asks approvers.destructive for two approvals, waiting the step's timeout", () => {
    const approve = taskOf(eradicate, "Approve: Terminate the instance");
    expect(approve.Parameters.Payload).toMatchObject({ approvers: [LEAD], requiredApprovals: 2, risk: "destructive", timeoutSeconds: 7200, onTimeout: "abort" });
    expect(approve.TimeoutSeconds).toBe(7200);
    expect(approve.Catch?.[0]?.Next).toBe("Record failure: Terminate the instance");
    expect(eradicate.States["Escalate: Terminate the instance"]).toBeUndefined();
  });

  it("asks one approval with approval: required", () => {
    const machine = machineOf(compileOk(mutate("approval: two-person # @terminate-approval", "approval: required")), "eradicate");
    expect(taskOf(machine, "Approve: Terminate the instance").Parameters.Payload).toMatchObject({ requiredApprovals: 1, approvers: [LEAD] });
  });

  it("falls back to the default approvers when the front matter names no destructive ones", () => {
    const machine = machineOf(compileOk(mutate('  destructive: ["arn:aws:iam::*:role/IncidentLead"]\n', "")), "eradicate");
    expect(taskOf(machine, "Approve: Terminate the instance").Parameters.Payload).toMatchObject({ approvers: [RESPONDER], requiredApprovals: 2 });
  });
});

describe("steps without approval", () => {
  const stepTitles = ["Describe the instance", "Snapshot the volumes", "Capture memory", "Tell the owner"];

  it.each(stepTitles)("read-only %s is the action alone: no Plan, Approve or Escalate state", (title) => {
    const machine = PHASE_MACHINES.find((m) => m.States[title] !== undefined)!;
    expect(machine).toBeDefined();
    for (const prefix of ["Plan: ", "Approve: ", "Escalate: "]) expect(machine.States[`${prefix}${title}`]).toBeUndefined();
    // No state asks approval for it or dry-runs it, under any name.
    const stepId = (taskOf(machine, title).Parameters.Payload as { context: { stepId: string } }).context.stepId;
    const related = Object.values(machine.States).filter((s) => s.Type === "Task" && JSON.stringify(s.Parameters).includes(`"stepId":"${stepId}"`));
    expect(related.map((s) => (s as TaskState).Parameters.FunctionName).sort()).toEqual(["${Task:audit.record-failure}", (taskOf(machine, title).Parameters.FunctionName as string)].sort());
    expect(related.some((s) => JSON.stringify(s).includes('"mode":"plan"'))).toBe(false);
  });

  it("a reversible step with approval: none still plans (the plan bounds its blast radius) but skips the approval", () => {
    const archive = taskOf(postIncident, "Archive the finding");
    expect(archive.Parameters.Payload).toMatchObject({ mode: "run" });
    expect(postIncident.StartAt).toBe("Plan: Archive the finding");
    expect(taskOf(postIncident, "Plan: Archive the finding")).toMatchObject({ Parameters: { Payload: { mode: "plan" } }, Next: "Archive the finding" });
    expect(Object.values(postIncident.States).some((s) => s.Type === "Task" && s.Resource === RESOURCES.lambdaInvokeCallback)).toBe(false);
  });

  it("read-only phases have no callback task at all", () => {
    for (const machine of [detect, recover]) {
      expect(Object.values(machine.States).filter((s) => s.Type === "Task" && s.Resource === RESOURCES.lambdaInvokeCallback)).toEqual([]);
    }
  });
});

describe("failures", () => {
  it("every step action catches States.ALL into its own Record failure state", () => {
    for (const title of ["Describe the instance", "Isolate the instance", "Snapshot the volumes", "Capture memory", "Terminate the instance", "Tell the owner", "Archive the finding"]) {
      const machine = PHASE_MACHINES.find((m) => m.States[title] !== undefined)!;
      expect(catches(taskOf(machine, title))).toEqual([[["States.ALL"], `Record failure: ${title}`, "$.step.error"]]);
    }
  });

  it("Record failure hands the error to audit.record-failure and then fails the phase", () => {
    const record = taskOf(contain, "Record failure: Isolate the instance");
    expect(record.Parameters.FunctionName).toBe("${Task:audit.record-failure}");
    expect(record.Parameters.Payload).toMatchObject({ mode: "run", input: { "incidentId.$": "$.incidentId", stepId: "contain/isolate-the-instance", "error.$": "$.step.error" } });
    expect(record.ResultPath).toBeNull();
    expect(record.Next).toBe("Phase failed");
    expect(stateOf(contain, "Phase failed")).toMatchObject({ Type: "Fail", ErrorPath: "$.step.error.Error", CausePath: "$.step.error.Cause" });
  });
});

describe("when", () => {
  it("puts a Check Choice in front of the step, defaulting to what follows it", () => {
    expect(eradicate.StartAt).toBe("Check: Terminate the instance");
    const check = choiceOf(eradicate, "Check: Terminate the instance");
    expect(check.Choices).toHaveLength(1);
    expect(check.Choices[0]!.Next).toBe("Plan: Terminate the instance");
    expect(check.Default).toBe("Eradicate complete");
  });

  it("guards the path with IsPresent and IsNull so a missing or null field skips the step", () => {
    const check = choiceOf(eradicate, "Check: Terminate the instance");
    const { Next: _next, ...rule } = check.Choices[0]!;
    expect(rule).toEqual({
      And: [
        { Variable: "$.instance.autoScalingGroupName", IsPresent: true },
        { Variable: "$.instance.autoScalingGroupName", IsNull: false },
      ],
    });
    expect(choose(check, { instance: { autoScalingGroupName: "web-asg" } })).toBe("Plan: Terminate the instance");
    expect(choose(check, { instance: {} })).toBe("Eradicate complete");
    expect(choose(check, { instance: { autoScalingGroupName: null } })).toBe("Eradicate complete");
  });

  it("on a step without approval, goes straight to the action and otherwise to the next step", () => {
    const step = '### Warn production\n```step\ntask: sns.notify\nwith:\n  subject: "Production instance isolated"\n  message: "See the incident."\nwhen: { path: $.instance.environment, equals: production }\n```\n\n';
    const machine = machineOf(compileOk(mutate("### Snapshot the volumes", `${step}### Snapshot the volumes`)), "contain");
    const check = choiceOf(machine, "Check: Warn production");
    expect(taskOf(machine, "Isolate the instance").Next).toBe("Check: Warn production");
    expect(check.Choices[0]!.Next).toBe("Warn production");
    expect(check.Default).toBe("Snapshot the volumes");
    expect(taskOf(machine, "Warn production").Next).toBe("Snapshot the volumes");
    const { Next: _next, ...rule } = check.Choices[0]!;
    expect(rule).toEqual({
      And: [
        { Variable: "$.instance.environment", IsPresent: true },
        { Variable: "$.instance.environment", IsNull: false },
        { Variable: "$.instance.environment", StringEquals: "production" },
      ],
    });
    expect(choose(check, { instance: { environment: "production" } })).toBe("Warn production");
    expect(choose(check, { instance: { environment: "staging" } })).toBe("Snapshot the volumes");
    expect(choose(check, { instance: {} })).toBe("Snapshot the volumes");
    expect(choose(check, { instance: { environment: null } })).toBe("Snapshot the volumes");
  });

  it("on the last step of post-incident, skips to closing the incident", () => {
    const text = mutate("  findingId: $.trigger.findingId\napproval: none", "  findingId: $.trigger.findingId\napproval: none\nwhen: { path: $.trigger.findingId, exists: true }");
    const machine = machineOf(compileOk(text), "post-incident");
    expect(machine.StartAt).toBe("Check: Archive the finding");
    expect(choiceOf(machine, "Check: Archive the finding").Default).toBe("Close incident");
  });
});

describe("foreach", () => {
  const stale = compileOk(STALE_KEYS_RUNBOOK, "runbooks/stale.md");
  const machine = machineOf(stale, "contain");

  it("becomes Map states over the list, planned, approved and run per item", () => {
    expect(followNext(machine)).toEqual(["Count: Deactivate stale keys", "Within limit: Deactivate stale keys", "Plan: Deactivate stale keys", "Approve: Deactivate stale keys", "Deactivate stale keys", "Warn the owners", "Contain complete"]);
    const plan = mapOf(machine, "Plan: Deactivate stale keys");
    const run = mapOf(machine, "Deactivate stale keys");
    for (const map of [plan, run]) {
      expect(map.ItemsPath).toBe("$.stale.deactivate");
      expect(map.MaxConcurrency).toBe(3);
      expect(map.ItemProcessor.ProcessorConfig.Mode).toBe("INLINE");
      expect(map.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.step.error", Next: "Record failure: Deactivate stale keys" }]);
    }
    expect(plan.ResultPath).toBe("$.step.plans");
    expect(taskOf(machine, "Approve: Deactivate stale keys").Parameters.Payload).toMatchObject({ "plans.$": "$.step.plans", approvers: [RESPONDER] });
  });

  it("refuses more items than max-changes before planning any of them", () => {
    expect(stateOf(machine, "Count: Deactivate stale keys")).toMatchObject({ Type: "Pass", Parameters: { "items.$": "States.ArrayLength($.stale.deactivate)" }, ResultPath: "$.step.count" });
    const limit = choiceOf(machine, "Within limit: Deactivate stale keys");
    expect(choose(limit, { step: { count: { items: 10 } } })).toBe("Plan: Deactivate stale keys");
    expect(choose(limit, { step: { count: { items: 11 } } })).toBe("Too many: Deactivate stale keys");
    expect(stateOf(machine, "Too many: Deactivate stale keys")).toMatchObject({ Type: "Pass", Result: { Error: "PreconditionFailed" }, ResultPath: "$.step.error", Next: "Record failure: Deactivate stale keys" });
  });

  it("reads $.item paths from $$.Map.Item.Value in the ItemSelector, and the document from $", () => {
    const run = mapOf(machine, "Deactivate stale keys");
    expect(run.ItemSelector.input).toEqual({ "accessKeyId.$": "$$.Map.Item.Value.accessKeyId", "userName.$": "$$.Map.Item.Value.userName" });
    expect(run.ItemSelector.context).toMatchObject({ "incidentId.$": "$.incidentId", "item.$": "$$.Map.Item.Index", stepId: "contain/deactivate-stale-keys", task: "iam.deactivate-access-key" });
    expect(run.ItemSelector["item.$"]).toBe("$$.Map.Item.Value");
    const task = run.ItemProcessor.States["Each: Deactivate stale keys"] as TaskState;
    expect(task.Type).toBe("Task");
    expect(task.Parameters).toEqual({ FunctionName: "${Task:iam.deactivate-access-key}", Payload: { mode: "run", "input.$": "$.input", "context.$": "$.context" } });
    expect(task.End).toBe(true);
  });

  it("skips an item the task refuses (PreconditionFailed), recording it; other errors still fail the step", () => {
    const run = mapOf(machine, "Deactivate stale keys");
    const states = run.ItemProcessor.States;
    const task = states["Each: Deactivate stale keys"] as TaskState;
    expect(task.Catch).toEqual([{ ErrorEquals: ["PreconditionFailed"], ResultPath: "$.refusal", Next: "Each: Deactivate stale keys (record skip)" }]);
    const record = states["Each: Deactivate stale keys (record skip)"] as TaskState;
    expect(record.Parameters).toMatchObject({ FunctionName: "${Task:audit.record-failure}", Payload: { mode: "run", input: { stepId: "contain/deactivate-stale-keys", error: { "Cause.$": "$.refusal.Cause" } } } });
    expect(record.Next).toBe("Each: Deactivate stale keys (refused)");
    const fields = Object.keys(findTask("iam.deactivate-access-key")!.output.shape);
    const refused = states["Each: Deactivate stale keys (refused)"] as PassState;
    expect(refused.Parameters).toEqual({ ...Object.fromEntries(fields.map((f) => [f, null])), skipped: true, reason: "PreconditionFailed", "cause.$": "$.refusal.Cause", "item.$": "$.context.item" });
    // An item an earlier foreach step skipped is passed over without calling the task.
    const earlier = choiceOf({ ...machine, States: states }, run.ItemProcessor.StartAt);
    expect(choose(earlier, { item: { skipped: true } })).toBe("Each: Deactivate stale keys (skipped)");
    expect(choose(earlier, { item: { accessKeyId: "AKIA" } })).toBe("Each: Deactivate stale keys");
    // A refused plan is a plan of no change that says why, so the approver sees it.
    const plan = mapOf(machine, "Plan: Deactivate stale keys");
    const planTask = plan.ItemProcessor.States["Plan each: Deactivate stale keys"] as TaskState;
    expect(planTask.Catch).toEqual([{ ErrorEquals: ["PreconditionFailed"], ResultPath: "$.refusal", Next: "Plan each: Deactivate stale keys (refused)" }]);
    expect((plan.ItemProcessor.States["Plan each: Deactivate stale keys (refused)"] as PassState).Parameters).toMatchObject({ changes: 0, "summary.$": "States.Format('skipped: {}', $.refusal.Cause)" });
    expect(run.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.step.error", Next: "Record failure: Deactivate stale keys" }]);
  });

  it("saves each item's output fields, and the list of them at the save path", () => {
    const run = mapOf(machine, "Deactivate stale keys");
    const task = run.ItemProcessor.States["Each: Deactivate stale keys"] as TaskState;
    const fields = Object.keys(findTask("iam.deactivate-access-key")!.output.shape);
    expect(task.ResultSelector).toEqual(Object.fromEntries(fields.map((f) => [`${f}.$`, `$.Payload.${f}`])));
    expect(run.ResultPath).toBe("$.deactivated");
  });

  it("templates over $.item, and defaults max-concurrency to 5", () => {
    const warn = mapOf(machine, "Warn the owners");
    expect(warn.MaxConcurrency).toBe(5);
    expect(warn.ItemsPath).toBe("$.stale.warn");
    expect(warn.ItemSelector.input).toEqual({ "subject.$": "States.Format('Key {} is getting old', $$.Map.Item.Value.accessKeyId)", message: "Rotate it before it is deactivated.", audience: "owner" });
    expect(warn.ResultPath).toBeNull();
  });

  it("gives the item states of two foreach steps of the same task distinct names", () => {
    const text = mutate("task: iam.deactivate-access-key\nforeach: $.stale.deactivate", "task: sns.notify\nforeach: $.stale.deactivate", STALE_KEYS_RUNBOOK).replace(
      "  accessKeyId: $.item.accessKeyId\n  userName: $.item.userName\nsave: $.deactivated",
      '  subject: "Key {$.item.accessKeyId} will be deactivated"\n  message: "Rotate it now."',
    );
    const both = machineOf(compileOk(text), "contain");
    const inner = ["Deactivate stale keys", "Warn the owners"].map((name) => Object.keys(mapOf(both, name).ItemProcessor.States));
    expect(inner[0]).toHaveLength(5);
    expect(inner[1]!.filter((name) => inner[0]!.includes(name))).toEqual([]);
    expect(Object.keys(both.States)).not.toContain(inner[0]![0]);
  });

  it("refuses $.item outside a foreach step", () => {
    const text = mutate("foreach: $.stale.warn\n", "", STALE_KEYS_RUNBOOK);
    expect(errorCodes(text)).toContain("unresolved-path");
  });
});

describe("save", () => {
  it("selects every output field of the task and writes it at the save path", () => {
    for (const [machine, title, task, path] of [
      [detect, "Describe the instance", "ec2.describe-instance", "$.instance"],
      [contain, "Isolate the instance", "ec2.isolate-instance", "$.isolation"],
      [contain, "Snapshot the volumes", "ec2.snapshot-volumes", "$.snapshots"],
    ] as const) {
      const state = taskOf(machine, title);
      const fields = Object.keys(findTask(task)!.output.shape);
      expect(fields.length).toBeGreaterThan(0);
      expect(state.ResultSelector).toEqual(Object.fromEntries(fields.map((f) => [`${f}.$`, `$.Payload.${f}`])));
      expect(state.ResultPath).toBe(path);
    }
  });

  it("a step without save keeps the document as it was (ResultPath null, no selector)", () => {
    for (const [machine, title] of [
      [eradicate, "Terminate the instance"],
      [recover, "Tell the owner"],
      [postIncident, "Archive the finding"],
    ] as const) {
      const state = taskOf(machine, title);
      expect(state).toHaveProperty("ResultPath", null);
      expect(state.ResultSelector).toBeUndefined();
    }
  });
});

describe("retries", () => {
  const lambdaTasks = (states: Record<string, State>) =>
    allStates(states)
      .map(({ name, state }) => ({ name, state }))
      .filter((entry): entry is { name: string; state: TaskState } => entry.state.Type === "Task" && entry.state.Resource.startsWith("arn:aws:states:::lambda:"));

  it("every Lambda task retries throttling and service errors with full jitter, and actions retry Transient", () => {
    const tasks = PHASE_MACHINES.flatMap((m) => lambdaTasks(m.States));
    const stale = machineOf(compileOk(STALE_KEYS_RUNBOOK, "runbooks/stale.md"), "contain");
    tasks.push(...lambdaTasks(stale.States));
    expect(tasks.length).toBeGreaterThan(20);
    for (const { name, state } of tasks) {
      expect(state.Retry, name).toBeDefined();
      const errors = state.Retry!.flatMap((r) => r.ErrorEquals);
      expect(errors, name).toEqual(expect.arrayContaining(["Lambda.ServiceException", "Lambda.TooManyRequestsException"]));
      if (state.Resource === RESOURCES.lambdaInvoke) expect(errors, name).toContain("Transient");
      for (const retrier of state.Retry!) {
        expect(retrier.JitterStrategy, name).toBe("FULL");
        expect(retrier.BackoffRate, name).toBeGreaterThan(1);
        expect(retrier.MaxAttempts, name).toBeGreaterThan(0);
      }
    }
  });

  it("uses the defaults: 4 attempts, 2 s apart, backoff 2, at most 60 s", () => {
    expect(taskOf(recover, "Tell the owner").Retry).toEqual([
      {
        ErrorEquals: expect.arrayContaining(["Lambda.ServiceException", "Lambda.TooManyRequestsException", "Transient"]),
        IntervalSeconds: 2,
        MaxAttempts: 4,
        BackoffRate: 2,
        MaxDelaySeconds: 60,
        JitterStrategy: "FULL",
      },
    ]);
  });

  it("applies a step's retry overrides to its plan and its action, not to the approval", () => {
    const text = mutate("on-timeout: escalate\n", "on-timeout: escalate\nretry: {attempts: 7, interval: 5s}\n");
    const machine = machineOf(compileOk(text), "contain");
    for (const name of ["Plan: Isolate the instance", "Isolate the instance"]) {
      expect(taskOf(machine, name).Retry).toEqual([expect.objectContaining({ MaxAttempts: 7, IntervalSeconds: 5, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: "FULL" })]);
    }
    expect(taskOf(machine, "Approve: Isolate the instance").Retry?.[0]?.MaxAttempts).toBe(4);
    // The other steps keep the defaults.
    expect(taskOf(machine, "Snapshot the volumes").Retry?.[0]).toMatchObject({ MaxAttempts: 4, IntervalSeconds: 2 });
  });

  it("applies backoff and max-delay overrides", () => {
    const text = mutate("  audience: owner\n", "  audience: owner\nretry: { attempts: 2, interval: 1m, backoff: 3, max-delay: 5m }\n");
    expect(taskOf(machineOf(compileOk(text), "recover"), "Tell the owner").Retry?.[0]).toMatchObject({ MaxAttempts: 2, IntervalSeconds: 60, BackoffRate: 3, MaxDelaySeconds: 300 });
  });
});

describe("{$.path} templates", () => {
  it("compile to States.Format with the paths as arguments", () => {
    const input = (taskOf(recover, "Tell the owner").Parameters.Payload as { input: Record<string, unknown> }).input;
    expect(input).toEqual({
      "subject.$": "States.Format('Instance {} replaced', $.resource.instanceId)",
      message: "Snapshots are kept as evidence.",
      audience: "owner",
    });
  });

  it("escape quotes and literal braces, and take several placeholders in order", () => {
    const text = mutate('subject: "Instance {$.resource.instanceId} replaced"', `subject: "Owner's {$.resource.instanceId} in {$.trigger.region} {not-a-path}"`);
    const input = (taskOf(machineOf(compileOk(text), "recover"), "Tell the owner").Parameters.Payload as { input: Record<string, unknown> }).input;
    expect(input["subject.$"]).toBe("States.Format('Owner\\'s {} in {} \\{not-a-path\\}', $.resource.instanceId, $.trigger.region)");
  });

  it("refuse a backslash, which intrinsics cannot escape portably", () => {
    const text = mutate('subject: "Instance {$.resource.instanceId} replaced"', String.raw`subject: 'Instance {$.resource.instanceId} C:\temp'`);
    expect(errorCodes(text)).toContain("bad-template");
  });

  it("check the paths inside a template", () => {
    const text = mutate('subject: "Instance {$.resource.instanceId} replaced"', 'subject: "Instance {$.resource.instanceID} replaced"');
    expect(errorCodes(text)).toContain("unresolved-path");
  });
});

describe("detect and post-incident", () => {
  it("detect opens the incident, then skips a duplicate, then runs the steps", () => {
    expect(followNext(detect)).toEqual(["Open incident", "Joined an open incident?", "Describe the instance", "Detect complete"]);
    const open = taskOf(detect, "Open incident");
    expect(open.Parameters.FunctionName).toBe("${Task:detect.open-incident}");
    expect(open.OutputPath).toBe("$.Payload");
    expect(open.Parameters.Payload).toMatchObject({ input: { "event.$": "$", runbook: { id: "sample-compromise", revision: sha256(SAMPLE_RUNBOOK) } } });
    const joined = choiceOf(detect, "Joined an open incident?");
    expect(choose(joined, { duplicate: true })).toBe("Detect complete");
    expect(choose(joined, { duplicate: false })).toBe("Describe the instance");
    expect(choose(joined, {})).toBe("Describe the instance");
  });

  it("post-incident runs its steps, then closes the incident", () => {
    expect(followNext(postIncident)).toEqual(["Plan: Archive the finding", "Archive the finding", "Close incident", "Post-incident complete"]);
    const close = taskOf(postIncident, "Close incident");
    expect(close.Parameters.FunctionName).toBe("${Task:audit.close-incident}");
    expect(close.ResultPath).toBe("$.closure");
  });

  it("every phase ends in its own <Phase> complete Succeed state", () => {
    expect(followNext(contain)).toEqual(["Plan: Isolate the instance", "Approve: Isolate the instance", "Isolate the instance", "Snapshot the volumes", "Capture memory", "Contain complete"]);
    expect(followNext(eradicate)).toEqual(["Check: Terminate the instance", "Eradicate complete"]);
    expect(followNext(eradicate, "Plan: Terminate the instance")).toEqual(["Plan: Terminate the instance", "Approve: Terminate the instance", "Terminate the instance", "Eradicate complete"]);
    expect(followNext(recover)).toEqual(["Tell the owner", "Recover complete"]);
    for (const [machine, title] of [
      [detect, "Detect"],
      [contain, "Contain"],
      [eradicate, "Eradicate"],
      [recover, "Recover"],
      [postIncident, "Post-incident"],
    ] as const) {
      expect(stateOf(machine, `${title} complete`).Type).toBe("Succeed");
      expect(machine.QueryLanguage).toBe("JSONPath");
    }
  });
});

describe("empty phases", () => {
  const withoutRecover = mutate('## Recover\n\n### Tell the owner\n```step\ntask: sns.notify\nwith:\n  subject: "Instance {$.resource.instanceId} replaced"\n  message: "Snapshots are kept as evidence."\n  audience: owner\n```\n\n', "");

  it("an absent phase is a valid machine with only its complete state", () => {
    const compiled = compileOk(withoutRecover);
    const machine = machineOf(compiled, "recover");
    expect(machine.StartAt).toBe("Recover complete");
    expect(Object.keys(machine.States)).toEqual(["Recover complete"]);
    expect(stateOf(machine, "Recover complete").Type).toBe("Succeed");
    // No heading: provenance names line 1 and the file's revision.
    expect((machine.States["Recover complete"] as { Comment: string }).Comment).toMatch(new RegExp(`runbooks/sample\\.md:1 sha256:${sha256(withoutRecover).slice(0, 12)}$`));
    expect(compiled.machines).toHaveLength(6);
  });

  it("a phase with prose only points its provenance at its heading", () => {
    const text = mutate("## Recover\n\n### Tell the owner", "## Recover\n\nNothing to automate here.\n\n## Background\n\n### Tell the owner");
    // The step now sits in a prose section, which holds a step block: refused.
    expect(errorCodes(text)).toContain("unknown-phase");
    const prose = withoutRecover.replace("## Post-incident", "## Recover\n\nPeople restore service by hand.\n\n## Post-incident");
    const machine = machineOf(compileOk(prose), "recover");
    expect(Object.keys(machine.States)).toEqual(["Recover complete"]);
    expect((machine.States["Recover complete"] as { Comment: string }).Comment).toMatch(new RegExp(`runbooks/sample\\.md:${lineOf(prose, "## Recover")} sha256:[0-9a-f]{12}$`));
  });

  it("an empty detect still opens the incident, and an empty post-incident still closes it", () => {
    const text = SAMPLE_RUNBOOK.slice(0, SAMPLE_RUNBOOK.indexOf("## Detect")) + "## Detect\n\nWatch.\n\n## Post-incident\n\nWrite it up.\n";
    const compiled = compileOk(text);
    const emptyDetect = machineOf(compiled, "detect");
    expect(Object.keys(emptyDetect.States)).toEqual(["Open incident", "Joined an open incident?", "Detect complete"]);
    expect(choiceOf(emptyDetect, "Joined an open incident?").Default).toBe("Detect complete");
    const emptyPost = machineOf(compiled, "post-incident");
    expect(followNext(emptyPost)).toEqual(["Close incident", "Post-incident complete"]);
    expect(Object.keys(emptyPost.States)).toEqual(["Close incident", "Post-incident complete"]);
    for (const phase of ["contain", "eradicate", "recover"] as const) expect(Object.keys(machineOf(compiled, phase).States).length).toBe(1);
  });
});

describe("provenance", () => {
  /** The step a state belongs to, from its name; undefined for the compiler's own states. */
  const stepOf = (name: string, parents: string[]): string | undefined => {
    const top = parents[0] ?? name;
    const title = top.replace(/^(Check|Plan|Approve|Escalate|Record failure): /, "");
    return /^(Open incident|Joined an open incident\?|Close incident|Phase failed|Detect stopped after a failure|.* complete)$/.test(title) ? undefined : title;
  };

  const PHASE_HEADINGS = { detect: "## Detect", contain: "## Contain", eradicate: "## Eradicate", recover: "## Recover", "post-incident": "## Post-incident" } as const;

  const hashOf = (state: unknown) => /sha256:([0-9a-f]{12})$/.exec((state as { Comment: string }).Comment)?.[1];

  it("every state names the runbook file, the step heading's line and one hash per step", () => {
    const stepHashes = new Map<string, string>();
    let checked = 0;
    for (const { name: machineName, definition } of sample.machines.filter((m) => m.name !== "incident")) {
      for (const { name, state, parents } of allStates(definition.States)) {
        const comment = (state as { Comment?: string }).Comment;
        expect(comment, name).toMatch(/runbooks\/sample\.md:\d+ sha256:[0-9a-f]{12}$/);
        const [, line, hash] = /:(\d+) sha256:([0-9a-f]{12})$/.exec(comment!)!;
        const title = stepOf(name, parents);
        if (title) {
          expect(Number(line), name).toBe(lineOf(SAMPLE_RUNBOOK, `### ${title}`));
          // All the states of a step carry the same hash: the step's own, not the file's.
          expect(hash, name).toBe(stepHashes.get(title) ?? hash);
          expect(hash, name).not.toBe(sha256(SAMPLE_RUNBOOK).slice(0, 12));
          stepHashes.set(title, hash!);
        } else {
          expect(Number(line), name).toBe(lineOf(SAMPLE_RUNBOOK, PHASE_HEADINGS[machineName as keyof typeof PHASE_HEADINGS]));
          expect(hash, name).toBe(sha256(SAMPLE_RUNBOOK).slice(0, 12));
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(25);
    // Seven steps, seven different hashes.
    expect(stepHashes.size).toBe(7);
    expect(new Set(stepHashes.values()).size).toBe(7);
  });

  it("nested Map states carry the step's provenance too", () => {
    const stale = compileOk(STALE_KEYS_RUNBOOK, "runbooks/stale.md");
    const run = mapOf(machineOf(stale, "contain"), "Deactivate stale keys");
    const line = lineOf(STALE_KEYS_RUNBOOK, "### Deactivate stale keys");
    for (const state of Object.values(run.ItemProcessor.States)) {
      expect((state as { Comment: string }).Comment).toMatch(new RegExp(`runbooks/stale\\.md:${line} sha256:${hashOf(run)!}$`));
    }
  });

  it("a step's hash does not change when only the prose around it does", () => {
    const edited = compileOk(mutate("Prose for people.", "Prose for people, rewritten at length after the last incident."));
    for (const [phase, title] of [["contain", "Isolate the instance"], ["eradicate", "Terminate the instance"]] as const) {
      expect(hashOf(machineOf(edited, phase).States[title])).toBe(hashOf(machineOf(sample, phase).States[title]));
    }
    // The file's revision, carried by the compiler's own states, does change.
    expect(hashOf(machineOf(edited, "contain").States["Contain complete"])).not.toBe(hashOf(contain.States["Contain complete"]));
  });

  it("a step's hash changes when its block changes, and only that step's", () => {
    const edited = compileOk(mutate("  instanceId: $.instance.instanceId", "  instanceId: $.resource.instanceId"));
    const comment = (machine: typeof contain, name: string) => (machine.States[name] as { Comment: string }).Comment.split(" sha256:")[1];
    const editedContain = machineOf(edited, "contain");
    expect(comment(editedContain, "Snapshot the volumes")).not.toBe(comment(contain, "Snapshot the volumes"));
    expect(comment(editedContain, "Capture memory")).toBe(comment(contain, "Capture memory"));
  });

  it("the machine Comment names the runbook, the phase and the revision", () => {
    expect(contain.Comment).toContain("irflow sample-compromise: Contain phase");
    expect(contain.Comment).toContain(`${SAMPLE_FILE} sha256:${sha256(SAMPLE_RUNBOOK).slice(0, 12)}`);
  });
});

describe("compile results", () => {
  it("list the tasks each machine invokes, system tasks included", () => {
    const tasks = Object.fromEntries(sample.machines.map((m) => [m.name, m.tasks]));
    expect(tasks.detect).toEqual(["audit.record-failure", "detect.open-incident", "ec2.describe-instance"]);
    expect(tasks.contain).toEqual(["approval.request", "audit.record-failure", "ec2.capture-memory", "ec2.isolate-instance", "ec2.snapshot-volumes"]);
    expect(tasks.recover).toEqual(["audit.record-failure", "sns.notify"]);
    expect(tasks.incident).toEqual([]);
  });

  it("a runbook that fails a check compiles to no machines", () => {
    const result = compile(mutate("task: ec2.isolate-instance # @isolate-task", "task: ec2.isolate-instanse"));
    expect(result.compiled).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toContain("unknown-task");
  });
});
