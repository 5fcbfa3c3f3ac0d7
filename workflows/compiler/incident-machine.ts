import type { Runbook } from "../runbook/runbook.js";
import { PHASE_TITLES, PHASES, type Phase } from "../runbook/schema.js";
import { machinePlaceholder, RESOURCES, type Retrier, type State, type StateMachine, type TaskState } from "./asl.js";
import { provenance } from "./provenance.js";

// Errors of the StartExecution call itself (not of the child execution): safe to retry, since a
// named execution started twice with the same input is the same execution.
const START_RETRY: Retrier = {
  ErrorEquals: ["StepFunctions.ExecutionLimitExceededException", "StepFunctions.SdkClientException", "StepFunctions.StepFunctionsException"],
  IntervalSeconds: 2,
  MaxAttempts: 5,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: "FULL",
};

/**
 * The orchestrator of one runbook: runs the five phase machines in order with
 * `startExecution.sync:2`, skips the response for a duplicate event, and always runs
 * post-incident, also after a failed or rejected phase, so that every incident gets its report.
 */
export function buildIncidentMachine(runbook: Runbook, phaseTimeouts: ReadonlyMap<Phase, number>): StateMachine {
  const comment = (phase: Phase | undefined, note: string) =>
    provenance(runbook.file, phase ? runbook.phases.find((p) => p.phase === phase)?.heading : undefined, runbook.revision, note);
  const title = (phase: Phase) => PHASE_TITLES[phase];
  const states: Record<string, State> = {};

  const runPhase = (phase: Phase, next: string, named: boolean): TaskState => ({
    Type: "Task",
    Comment: comment(phase, `run the ${title(phase)} phase and wait for it`),
    Resource: RESOURCES.startExecutionSync,
    Parameters: {
      StateMachineArn: machinePlaceholder(runbook.id, phase),
      // Named after the incident: a retried start joins the execution instead of repeating it.
      ...(named ? { "Name.$": `States.Format('{}-${phase}', $.incidentId)` } : {}),
      "Input.$": "$",
    },
    OutputPath: "$.Output",
    TimeoutSeconds: (phaseTimeouts.get(phase) ?? 3600) + 300,
    Retry: [START_RETRY],
    Next: next,
  });

  states[title("detect")] = {
    ...runPhase("detect", "Joined an open incident?", false),
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Detection failed" }],
  };
  states["Joined an open incident?"] = {
    Type: "Choice",
    Comment: comment("detect", "a duplicate event joined the open incident: nothing more to do"),
    Choices: [{ And: [{ Variable: "$.duplicate", IsPresent: true }, { Variable: "$.duplicate", BooleanEquals: true }], Next: "Joined open incident" }],
    Default: "Did detection fail?",
  };
  states["Did detection fail?"] = {
    Type: "Choice",
    Comment: comment("detect", "a detect step failed after the incident opened: skip the response, still close it"),
    Choices: [{ Variable: "$.failure", IsPresent: true, Next: title("post-incident") }],
    Default: title("contain"),
  };
  states["Joined open incident"] = { Type: "Succeed", Comment: comment("detect", "the occurrence is recorded on the open incident") };
  states["Detection failed"] = {
    Type: "Fail",
    Comment: comment("detect", "the event could not be turned into an incident; it is recorded as refused"),
    Error: "DetectionFailed",
    CausePath: "$.failure.Cause",
  };

  const response: Phase[] = ["contain", "eradicate", "recover"];
  response.forEach((phase, index) => {
    const next = index + 1 < response.length ? title(response[index + 1]!) : title("post-incident");
    states[title(phase)] = {
      ...runPhase(phase, next, true),
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: title("post-incident") }],
    };
  });
  states[title("post-incident")] = {
    ...runPhase("post-incident", "Did a phase fail?", true),
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Closed after a failure" }],
  };
  states["Did a phase fail?"] = {
    Type: "Choice",
    Comment: comment("post-incident", "the incident succeeds only when every phase did"),
    Choices: [{ Variable: "$.failure", IsPresent: true, Next: "Closed after a failure" }],
    Default: "Closed",
  };
  states["Closed"] = { Type: "Succeed", Comment: comment("post-incident", "every phase completed") };
  states["Closed after a failure"] = {
    Type: "Fail",
    Comment: comment("post-incident", "a phase failed, was rejected or timed out; the report says which"),
    Error: "IncidentFailed",
    CausePath: "$.failure.Cause",
  };

  const total = PHASES.reduce((sum, phase) => sum + (phaseTimeouts.get(phase) ?? 3600) + 300, 0);
  return {
    Comment: `irflow ${runbook.id}: incident workflow for "${runbook.title}" — ${runbook.file} sha256:${runbook.revision.slice(0, 12)}`,
    QueryLanguage: "JSONPath",
    StartAt: title("detect"),
    TimeoutSeconds: total + 600,
    States: states,
  };
}
