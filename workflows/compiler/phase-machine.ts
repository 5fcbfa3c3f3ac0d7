import { SYSTEM_TASKS } from "../../functions/registry.js";
import type { Runbook } from "../runbook/runbook.js";
import { PHASE_TITLES, type Phase } from "../runbook/schema.js";
import type { AnalysedStep, ApprovalGate } from "./analyse-runbook.js";
import { TRANSIENT_ERRORS } from "./analyse-runbook.js";
import { RESOURCES, taskPlaceholder, type AslObject, type Catcher, type MapState, type Retrier, type State, type StateMachine, type TaskState } from "./asl.js";
import { planDigest } from "../../functions/contract/digest.js";
import { provenance } from "./provenance.js";
import { stateNames, SYSTEM_STATES } from "./state-names.js";

const SYSTEM_RETRY: Retrier = { ErrorEquals: TRANSIENT_ERRORS, IntervalSeconds: 1, MaxAttempts: 4, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: "FULL" };
const LAMBDA_ERRORS_ONLY: Retrier = { ...SYSTEM_RETRY, ErrorEquals: TRANSIENT_ERRORS.filter((e) => e.startsWith("Lambda.")) };
const PHASE_FAILED = SYSTEM_STATES.phaseFailed;
const ERROR_PATH = "$.step.error";
/** Items a foreach step may change when the runbook sets no max-changes (the tasks' own default). */
const DEFAULT_MAX_ITEMS = 10;

/**
 * One phase's state machine: its steps in order, each as a small readable group of states
 * (`Check:` → `Plan:` → `Approve:` → action), with failures recorded before the phase fails.
 * Detect opens the incident first; post-incident always ends by closing it.
 */
export function buildPhaseMachine(runbook: Runbook, phase: Phase, steps: readonly AnalysedStep[]): StateMachine {
  const heading = runbook.phases.find((p) => p.phase === phase)?.heading;
  const systemComment = (note: string) => provenance(runbook.file, heading, runbook.revision, note);
  const done = SYSTEM_STATES.phaseComplete(phase);
  const states: Record<string, State> = {};
  const order: string[] = [];
  const add = (name: string, state: State): void => {
    // The parser refuses titles that collide with generated names; this guards the compiler itself.
    if (name in states) throw new Error(`compiler defect: state "${name}" generated twice`);
    states[name] = state;
    order.push(name);
  };

  const firstStateOf = (step: AnalysedStep): string => {
    const names = stateNames(step.step.title);
    return step.condition ? names.check : afterCheck(step);
  };
  const closing = phase === "post-incident" ? SYSTEM_STATES.closeIncident : done;
  const entry = (index: number): string => (index < steps.length ? firstStateOf(steps[index]!) : closing);

  let startAt = entry(0);
  if (phase === "detect") {
    startAt = SYSTEM_STATES.openIncident;
    add(SYSTEM_STATES.openIncident, openIncidentState(runbook, systemComment("normalise the event; open or join the incident"), SYSTEM_STATES.joinedOpenIncident));
    add(SYSTEM_STATES.joinedOpenIncident, {
      Type: "Choice",
      Comment: systemComment("a duplicate event joins the open incident and changes nothing"),
      Choices: [{ And: [{ Variable: "$.duplicate", IsPresent: true }, { Variable: "$.duplicate", BooleanEquals: true }], Next: done }],
      Default: entry(0),
    });
  }

  let failureUsed = false;
  steps.forEach((step, index) => {
    const next = entry(index + 1);
    for (const [name, state] of stepStates(runbook, step, next)) add(name, state);
    failureUsed = true;
  });

  if (phase === "post-incident") {
    add(SYSTEM_STATES.closeIncident, closeIncidentState(runbook, systemComment("write the post-incident report and close the incident"), done));
  }
  add(done, { Type: "Succeed", Comment: systemComment(`end of the ${PHASE_TITLES[phase]} phase`) });
  if (failureUsed && phase === "detect") {
    // The incident is open by now: a failed detect step must still reach post-incident (which
    // closes the incident and frees its dedupe key), so it ends the phase carrying the failure.
    add(PHASE_FAILED, {
      Type: "Pass",
      Comment: systemComment("a detect step failed; carry the failure to post-incident"),
      Parameters: { "Error.$": `${ERROR_PATH}.Error`, "Cause.$": `${ERROR_PATH}.Cause` },
      ResultPath: "$.failure",
      Next: SYSTEM_STATES.detectStopped,
    });
    // Its own end, not "Detect complete": the progress and the history then say the phase stopped.
    add(SYSTEM_STATES.detectStopped, { Type: "Succeed", Comment: systemComment("the Detect phase stopped at a failed step; post-incident closes the incident") });
  } else if (failureUsed) {
    add(PHASE_FAILED, { Type: "Fail", Comment: systemComment("a step failed, was rejected or timed out; the failure is recorded"), ErrorPath: `${ERROR_PATH}.Error`, CausePath: `${ERROR_PATH}.Cause` });
  }

  return {
    Comment: `irflow ${runbook.id}: ${PHASE_TITLES[phase]} phase of "${runbook.title}" — ${runbook.file} sha256:${runbook.revision.slice(0, 12)}`,
    QueryLanguage: "JSONPath",
    StartAt: startAt,
    TimeoutSeconds: phaseTimeout(steps),
    States: Object.fromEntries(order.map((name) => [name, states[name]!])),
  };
}

/** A step that changes something always plans first: the plan is audited and bounds the blast radius. */
function plans(analysed: AnalysedStep): boolean {
  return analysed.contract.risk !== "read";
}

/** Where a step starts once its condition (if any) holds. */
function afterCheck(analysed: AnalysedStep): string {
  const names = stateNames(analysed.step.title);
  return analysed.foreach && plans(analysed) ? names.count : plans(analysed) ? names.plan : names.act;
}

function stepStates(runbook: Runbook, analysed: AnalysedStep, next: string): [string, State][] {
  const { step, approval } = analysed;
  const names = stateNames(step.title);
  const comment = (note?: string) => provenance(runbook.file, step.heading, step.hash, note);
  const onError: Catcher[] = [{ ErrorEquals: ["States.ALL"], ResultPath: ERROR_PATH, Next: names.recordFailure }];
  const out: [string, State][] = [];

  if (analysed.condition) {
    out.push([names.check, { Type: "Choice", Comment: comment("run only when the condition holds"), Choices: [{ ...analysed.condition, Next: afterCheck(analysed) }], Default: next }]);
  }
  if (analysed.foreach && plans(analysed)) out.push(...blastRadiusGuard(analysed, comment, names));
  if (plans(analysed)) {
    out.push([names.plan, invocation(runbook, analysed, "plan", comment("dry run: what would change"), approval ? names.approve : names.act, onError)]);
  }
  if (approval) {
    const timeoutTarget = approval.onTimeout === "escalate" ? names.escalate : approval.onTimeout === "proceed" ? names.act : names.recordFailure;
    out.push([names.approve, approvalState(runbook, analysed, approval, false, comment("wait for a human decision"), names.act, timeoutTarget, names.recordFailure)]);
    if (approval.onTimeout === "escalate") {
      out.push([names.escalate, approvalState(runbook, analysed, approval, true, comment("nobody answered: ask the escalation approvers"), names.act, names.recordFailure, names.recordFailure)]);
    }
  }
  out.push([names.act, invocation(runbook, analysed, "run", comment(), next, onError)]);
  out.push([names.recordFailure, recordFailureState(runbook, analysed, comment("record why the step stopped"))]);
  return out;
}

/**
 * A foreach step's tasks each see one item, so the number of items is bounded here, before any
 * item is planned: more than `max-changes` items stops the step as PreconditionFailed.
 */
function blastRadiusGuard(analysed: AnalysedStep, comment: (note?: string) => string, names: ReturnType<typeof stateNames>): [string, State][] {
  const limit = analysed.step.block["max-changes"] ?? DEFAULT_MAX_ITEMS;
  const itemsPath = analysed.foreach!.itemsPath;
  return [
    [names.count, { Type: "Pass", Comment: comment("count the items"), Parameters: { "items.$": `States.ArrayLength(${itemsPath})` }, ResultPath: "$.step.count", Next: names.withinLimit }],
    [
      names.withinLimit,
      {
        Type: "Choice",
        Comment: comment(`at most ${limit} items (max-changes)`),
        Choices: [{ Variable: "$.step.count.items", NumericGreaterThan: limit, Next: names.tooMany }],
        Default: names.plan,
      },
    ],
    [
      names.tooMany,
      {
        Type: "Pass",
        Comment: comment("refuse: more items than the step may change"),
        Result: { Error: "PreconditionFailed", Cause: `more than ${limit} items for "${analysed.step.title}" (max-changes ${limit})` },
        ResultPath: ERROR_PATH,
        Next: names.recordFailure,
      },
    ],
  ];
}

/** Payload context every task receives: who is running it, for which incident and step. */
function taskContext(runbook: Runbook, analysed: AnalysedStep): AslObject {
  const { step, contract } = analysed;
  const block = step.block;
  return {
    "incidentId.$": "$.incidentId",
    "executionId.$": "$$.Execution.Id",
    runbookId: runbook.id,
    stepId: step.id,
    task: contract.name,
    ...(block["allow-exempt"] !== undefined ? { allowExempt: block["allow-exempt"] } : {}),
    ...(block["max-changes"] !== undefined ? { maxChanges: block["max-changes"] } : {}),
  };
}

function invocation(runbook: Runbook, analysed: AnalysedStep, mode: "plan" | "run", comment: string, next: string, onError: Catcher[]): TaskState | MapState {
  const { contract } = analysed;
  const planning = mode === "plan";
  const resultSelector: AslObject | undefined = planning
    ? { "digest.$": "$.Payload.digest", "summary.$": "$.Payload.summary", "changes.$": "$.Payload.changes" }
    : analysed.save
      ? Object.fromEntries(analysed.save.fields.map((field) => [`${field}.$`, `$.Payload.${field}`]))
      : undefined;
  const resultPath = planning ? (analysed.foreach ? "$.step.plans" : "$.step.plan") : (analysed.save?.path ?? null);

  if (!analysed.foreach) {
    return {
      Type: "Task",
      Comment: comment,
      Resource: RESOURCES.lambdaInvoke,
      Parameters: { FunctionName: taskPlaceholder(contract.name), Payload: { mode, input: analysed.input, context: taskContext(runbook, analysed) } },
      ...(resultSelector ? { ResultSelector: resultSelector } : {}),
      ResultPath: resultPath,
      TimeoutSeconds: analysed.timeoutSeconds,
      Retry: [analysed.retry],
      Catch: onError,
      Next: next,
    };
  }
  // foreach: the task input is built per item in ItemSelector, where `$` is still the document.
  // State names are unique across a whole definition, Map iterations included.
  const names = stateNames(analysed.step.title);
  const inner = planning ? names.planEach : names.each;
  return {
    Type: "Map",
    Comment: comment,
    ItemsPath: analysed.foreach.itemsPath,
    ItemSelector: { input: analysed.input, context: { ...taskContext(runbook, analysed), "item.$": "$$.Map.Item.Index" }, "item.$": "$$.Map.Item.Value" },
    ItemProcessor: {
      ProcessorConfig: { Mode: "INLINE" },
      StartAt: `${inner} ${ITEM_SUFFIX.earlier}`,
      States: itemStates(runbook, analysed, mode, inner, comment, resultSelector ?? { "ok.$": "$.StatusCode" }),
    },
    MaxConcurrency: analysed.foreach.maxConcurrency,
    ResultPath: resultPath,
    Catch: onError,
    Next: next,
  };
}

const ITEM_SUFFIX = { earlier: "(skipped before?)", refused: "(refused)", record: "(record skip)", skipped: "(skipped)" } as const;
const REFUSAL_PATH = "$.refusal";
/** The plan of an item that is skipped: no change, so the digest of an empty plan. */
const EMPTY_PLAN_DIGEST = planDigest([]);

/**
 * One item of a foreach step. A task that refuses an item (`PreconditionFailed`: tagged exempt,
 * over its own blast radius) skips that item only: the refusal is recorded in the incident and
 * the item's result says `skipped` with the reason, while the other items proceed. Any other
 * error still fails the item, and so the Map and the step. An item that an earlier foreach step
 * skipped (its saved marker) is passed over, so "notify each deactivated key" never sees it.
 */
function itemStates(runbook: Runbook, analysed: AnalysedStep, mode: "plan" | "run", inner: string, comment: string, resultSelector: AslObject): Record<string, State> {
  const { contract } = analysed;
  const planning = mode === "plan";
  const name = (suffix: keyof typeof ITEM_SUFFIX): string => `${inner} ${ITEM_SUFFIX[suffix]}`;
  const savedFields = planning ? [] : (analysed.save?.fields ?? []);
  // A skipped item keeps every saved field (null), so later foreach steps can still select them.
  const marker = (reason: string, cause: string): AslObject =>
    planning
      ? { digest: EMPTY_PLAN_DIGEST, "summary.$": `States.Format('skipped: {}', ${cause})`, changes: 0 }
      : { ...Object.fromEntries(savedFields.map((f) => [f, null])), skipped: true, reason, "cause.$": cause, "item.$": "$.context.item" };
  const states: Record<string, State> = {
    [name("earlier")]: {
      Type: "Choice",
      Comment: comment,
      Choices: [{ And: [{ Variable: "$.item.skipped", IsPresent: true }, { Variable: "$.item.skipped", BooleanEquals: true }], Next: name("skipped") }],
      Default: inner,
    },
    [inner]: {
      Type: "Task",
      Comment: comment,
      Resource: RESOURCES.lambdaInvoke,
      Parameters: { FunctionName: taskPlaceholder(contract.name), Payload: { mode, "input.$": "$.input", "context.$": "$.context" } },
      ResultSelector: resultSelector,
      TimeoutSeconds: analysed.timeoutSeconds,
      Retry: [analysed.retry],
      Catch: [{ ErrorEquals: ["PreconditionFailed"], ResultPath: REFUSAL_PATH, Next: planning ? name("refused") : name("record") }],
      End: true,
    },
    [name("skipped")]: { Type: "Pass", Comment: comment, Parameters: marker("skipped by an earlier step", "$.item.cause"), End: true },
  };
  if (!planning) {
    const context = { "incidentId.$": "$.context.incidentId", "executionId.$": "$.context.executionId", runbookId: runbook.id, stepId: analysed.step.id, "item.$": "$.context.item", task: SYSTEM_TASKS.recordFailure };
    const input = { "incidentId.$": "$.context.incidentId", stepId: analysed.step.id, error: { "Error.$": "States.Format('PreconditionFailed (item {} skipped)', $.context.item)", "Cause.$": `${REFUSAL_PATH}.Cause` } };
    states[name("record")] = {
      Type: "Task",
      Comment: comment,
      Resource: RESOURCES.lambdaInvoke,
      Parameters: { FunctionName: taskPlaceholder(SYSTEM_TASKS.recordFailure), Payload: { mode: "run", input, context } },
      ResultPath: null,
      TimeoutSeconds: 60,
      Retry: [SYSTEM_RETRY],
      Next: name("refused"),
    };
  }
  states[name("refused")] = { Type: "Pass", Comment: comment, Parameters: marker("PreconditionFailed", `${REFUSAL_PATH}.Cause`), End: true };
  return states;
}

function approvalState(runbook: Runbook, analysed: AnalysedStep, gate: ApprovalGate, escalation: boolean, comment: string, next: string, onTimeout: string, onFailure: string): TaskState {
  const { step, contract } = analysed;
  return {
    Type: "Task",
    Comment: comment,
    Resource: RESOURCES.lambdaInvokeCallback,
    Parameters: {
      FunctionName: taskPlaceholder(SYSTEM_TASKS.requestApproval),
      Payload: {
        "taskToken.$": "$$.Task.Token",
        "incidentId.$": "$.incidentId",
        "executionId.$": "$$.Execution.Id",
        runbookId: runbook.id,
        stepId: step.id,
        stepTitle: step.title,
        task: contract.name,
        risk: contract.risk,
        "plans.$": analysed.foreach ? "$.step.plans" : "States.Array($.step.plan)",
        approvers: [...(escalation ? (gate.escalationApprovers ?? gate.approvers) : gate.approvers)],
        requiredApprovals: gate.requiredApprovals,
        timeoutSeconds: gate.timeoutSeconds,
        onTimeout: escalation ? "abort" : gate.onTimeout,
        escalation,
      },
    },
    ResultPath: "$.step.approval",
    TimeoutSeconds: gate.timeoutSeconds,
    Retry: [LAMBDA_ERRORS_ONLY],
    Catch: [
      { ErrorEquals: ["States.Timeout"], ResultPath: ERROR_PATH, Next: onTimeout },
      { ErrorEquals: ["Rejected"], ResultPath: ERROR_PATH, Next: onFailure },
      { ErrorEquals: ["States.ALL"], ResultPath: ERROR_PATH, Next: onFailure },
    ],
    Next: next,
  };
}

/** A Task state invoking one of irflow's own tasks (opening, recording, closing the incident). */
function systemTask(
  task: string,
  comment: string,
  input: AslObject,
  context: AslObject,
  io: Pick<TaskState, "ResultSelector" | "ResultPath" | "OutputPath">,
  next: string,
  timeoutSeconds = 60,
): TaskState {
  return {
    Type: "Task",
    Comment: comment,
    Resource: RESOURCES.lambdaInvoke,
    Parameters: { FunctionName: taskPlaceholder(task), Payload: { mode: "run", input, context: { ...context, task } } },
    ...io,
    TimeoutSeconds: timeoutSeconds,
    Retry: [SYSTEM_RETRY],
    Next: next,
  };
}

function recordFailureState(runbook: Runbook, analysed: AnalysedStep, comment: string): TaskState {
  const input = { "incidentId.$": "$.incidentId", stepId: analysed.step.id, "error.$": ERROR_PATH };
  return systemTask(SYSTEM_TASKS.recordFailure, comment, input, taskContext(runbook, analysed), { ResultPath: null }, PHASE_FAILED);
}

function openIncidentState(runbook: Runbook, comment: string, next: string): TaskState {
  const input = { "event.$": "$", runbook: { id: runbook.id, revision: runbook.revision }, "executionId.$": "$$.Execution.Id" };
  const context = { "executionId.$": "$$.Execution.Id", runbookId: runbook.id, stepId: "detect/open-incident" };
  // The event is replaced by the incident document the task returns.
  return systemTask(SYSTEM_TASKS.openIncident, comment, input, context, { OutputPath: "$.Payload" }, next);
}

function closeIncidentState(runbook: Runbook, comment: string, next: string): TaskState {
  const input = { "incidentId.$": "$.incidentId", "document.$": "$" };
  const context = { "incidentId.$": "$.incidentId", "executionId.$": "$$.Execution.Id", runbookId: runbook.id, stepId: "post-incident/close-incident" };
  const io = { ResultSelector: { "reportLocation.$": "$.Payload.reportLocation", "status.$": "$.Payload.status" }, ResultPath: "$.closure" };
  return systemTask(SYSTEM_TASKS.closeIncident, comment, input, context, io, next, 120);
}

/** An upper bound on a phase's duration: every task with its retries, every approval wait. */
export function phaseTimeout(steps: readonly AnalysedStep[]): number {
  let total = 900;
  for (const step of steps) {
    const attempts = step.retry.MaxAttempts + 1;
    const taskBound = step.timeoutSeconds * attempts + (step.retry.MaxDelaySeconds ?? 60) * step.retry.MaxAttempts;
    total += step.approval ? taskBound * 2 : taskBound;
    if (step.approval) total += step.approval.timeoutSeconds * (step.approval.onTimeout === "escalate" ? 2 : 1);
  }
  return total;
}
