import { describe, expect, it } from "vitest";
import { RESOURCES, type StateMachine, type TaskState } from "../../workflows/compiler/asl.js";
import { buildIncidentMachine } from "../../workflows/compiler/incident-machine.js";
import { PHASES, type Phase } from "../../workflows/runbook/schema.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { choiceOf, choose, compileOk, followNext, machineOf, stateOf, taskOf } from "./helpers.js";

const sample = compileOk(SAMPLE_RUNBOOK);
const incident = machineOf(sample, "incident");
const TITLES = { detect: "Detect", contain: "Contain", eradicate: "Eradicate", recover: "Recover", "post-incident": "Post-incident" } as const;

/**
 * Runs the incident machine's control flow: each phase state succeeds (its child machine's
 * output is the document) or fails (the error goes where its Catch says). Returns the phases
 * started and the state the execution ended in.
 */
function simulate(machine: StateMachine, outcome: Partial<Record<Phase, "fail">>, document: Record<string, unknown> = { incidentId: "inc-0123456789" }) {
  const started: Phase[] = [];
  let doc: Record<string, unknown> = { ...document };
  let name = machine.StartAt;
  for (let steps = 0; steps < 50; steps++) {
    const state = stateOf(machine, name);
    if (state.Type === "Succeed" || state.Type === "Fail") return { started, end: name, type: state.Type, document: doc };
    if (state.Type === "Choice") {
      name = choose(state, doc);
      continue;
    }
    expect(state.Type).toBe("Task");
    const task = state as TaskState;
    const phase = /\$\{Machine:sample-compromise\/([a-z-]+)\}/.exec(task.Parameters.StateMachineArn as string)?.[1] as Phase;
    expect(PHASES).toContain(phase);
    started.push(phase);
    if (outcome[phase] === "fail") {
      const catcher = (task.Catch ?? []).find((c) => c.ErrorEquals.includes("States.ALL"));
      expect(catcher, `${name} must catch a failed phase`).toBeDefined();
      doc = { ...doc, failure: { Error: "States.TaskFailed", Cause: `${phase} failed` } };
      expect(catcher!.ResultPath).toBe("$.failure");
      name = catcher!.Next;
    } else {
      name = task.Next!;
    }
  }
  throw new Error("the incident machine did not end");
}

describe("the incident machine", () => {
  it("runs the five phases in order: Detect → Contain → Eradicate → Recover → Post-incident", () => {
    expect(incident.StartAt).toBe("Detect");
    expect(followNext(incident)).toEqual(["Detect", "Joined an open incident?", "Did detection fail?", "Contain", "Eradicate", "Recover", "Post-incident", "Did a phase fail?", "Closed"]);
    expect(simulate(incident, {})).toMatchObject({ started: [...PHASES], end: "Closed", type: "Succeed" });
  });

  it.each(PHASES)("starts the %s machine synchronously through its placeholder", (phase) => {
    const state = taskOf(incident, TITLES[phase]);
    expect(state.Resource).toBe("arn:aws:states:::states:startExecution.sync:2");
    expect(state.Resource).toBe(RESOURCES.startExecutionSync);
    expect(state.Parameters.StateMachineArn).toBe(`\${Machine:sample-compromise/${phase}}`);
    expect(state.Parameters["Input.$"]).toBe("$");
    // The child's output (the document) replaces the state's input.
    expect(state.OutputPath).toBe("$.Output");
  });

  it("names the child executions after the incident, except detect which has no incident id yet", () => {
    expect(taskOf(incident, "Detect").Parameters["Name.$"]).toBeUndefined();
    expect(Object.keys(taskOf(incident, "Detect").Parameters)).not.toContain("Name");
    for (const phase of ["contain", "eradicate", "recover", "post-incident"] as const) {
      expect(taskOf(incident, TITLES[phase]).Parameters["Name.$"]).toBe(`States.Format('{}-${phase}', $.incidentId)`);
    }
  });

  it.each(["contain", "eradicate", "recover"] as const)("a failed %s phase still runs post-incident, with the error at $.failure", (phase) => {
    expect(taskOf(incident, TITLES[phase]).Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Post-incident" }]);
    const run = simulate(incident, { [phase]: "fail" });
    const upTo = PHASES.slice(0, PHASES.indexOf(phase) + 1);
    expect(run.started).toEqual([...upTo, "post-incident"]);
    expect(run.end).toBe("Closed after a failure");
    expect(run.type).toBe("Fail");
  });

  it("a failed post-incident ends in the failure state", () => {
    expect(taskOf(incident, "Post-incident").Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Closed after a failure" }]);
    expect(simulate(incident, { "post-incident": "fail" })).toMatchObject({ started: [...PHASES], end: "Closed after a failure" });
  });

  it("a failed detection is refused without running any other phase", () => {
    expect(taskOf(incident, "Detect").Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Detection failed" }]);
    expect(stateOf(incident, "Detection failed")).toMatchObject({ Type: "Fail", Error: "DetectionFailed", CausePath: "$.failure.Cause" });
    expect(simulate(incident, { detect: "fail" })).toMatchObject({ started: ["detect"], end: "Detection failed" });
  });

  it("a duplicate event joins the open incident and runs nothing more", () => {
    const joined = choiceOf(incident, "Joined an open incident?");
    expect(choose(joined, { duplicate: true })).toBe("Joined open incident");
    expect(choose(joined, { duplicate: false })).toBe("Did detection fail?");
    expect(choose(joined, {})).toBe("Did detection fail?");
    expect(stateOf(incident, "Joined open incident").Type).toBe("Succeed");
    expect(simulate(incident, {}, { incidentId: "inc-0123456789", duplicate: true })).toMatchObject({ started: ["detect"], end: "Joined open incident", type: "Succeed" });
  });

  it("a detect step that failed after the incident opened skips the response but still runs post-incident", () => {
    const check = choiceOf(incident, "Did detection fail?");
    expect(choose(check, { failure: { Error: "NotFound", Cause: "x" } })).toBe("Post-incident");
    expect(choose(check, {})).toBe("Contain");
    expect(simulate(incident, {}, { incidentId: "inc-0123456789", duplicate: false, failure: { Error: "NotFound", Cause: "gone" } })).toMatchObject({
      started: ["detect", "post-incident"],
      end: "Closed after a failure",
      type: "Fail",
    });
  });

  it("Did a phase fail? fails the incident exactly when $.failure is present", () => {
    const check = choiceOf(incident, "Did a phase fail?");
    expect(check.Choices).toEqual([{ Variable: "$.failure", IsPresent: true, Next: "Closed after a failure" }]);
    expect(check.Default).toBe("Closed");
    expect(choose(check, { failure: { Error: "Rejected", Cause: "no" } })).toBe("Closed after a failure");
    expect(choose(check, {})).toBe("Closed");
    expect(stateOf(incident, "Closed after a failure")).toMatchObject({ Type: "Fail", Error: "IncidentFailed", CausePath: "$.failure.Cause" });
    expect(stateOf(incident, "Closed").Type).toBe("Succeed");
  });

  it("gives each phase its machine's timeout and some slack, and outlasts them all", () => {
    let sum = 0;
    for (const phase of PHASES) {
      const child = machineOf(sample, phase);
      expect(child.TimeoutSeconds).toBeGreaterThan(0);
      expect(taskOf(incident, TITLES[phase]).TimeoutSeconds).toBe(child.TimeoutSeconds! + 300);
      sum += child.TimeoutSeconds! + 300;
    }
    expect(incident.TimeoutSeconds).toBeGreaterThanOrEqual(sum);
  });

  it("retries only errors of the StartExecution call, with jitter", () => {
    for (const phase of PHASES) {
      const retry = taskOf(incident, TITLES[phase]).Retry ?? [];
      expect(retry.length).toBeGreaterThan(0);
      const errors = retry.flatMap((r) => r.ErrorEquals);
      expect(errors).toContain("StepFunctions.ExecutionLimitExceededException");
      expect(errors).not.toContain("States.ALL");
      expect(errors).not.toContain("States.TaskFailed");
      for (const r of retry) expect(r.JitterStrategy).toBe("FULL");
    }
  });

  it("starts exactly the runbook's five phase machines and invokes no task itself", () => {
    const compiled = sample.machines.find((m) => m.name === "incident")!;
    expect(compiled.starts).toEqual([...PHASES].map((p) => `sample-compromise/${p}`).sort());
    expect(compiled.tasks).toEqual([]);
  });

  it("points provenance at the phase headings", () => {
    for (const phase of PHASES) {
      const line = SAMPLE_RUNBOOK.split("\n").findIndex((l) => l === `## ${TITLES[phase]}`) + 1;
      expect(taskOf(incident, TITLES[phase]).Comment).toMatch(new RegExp(`runbooks/sample\\.md:${line} sha256:[0-9a-f]{12}$`));
    }
  });

  it("falls back to an hour for a phase without a known timeout", () => {
    const machine = buildIncidentMachine(sample.runbook, new Map<Phase, number>([["contain", 100]]));
    expect(taskOf(machine, "Contain").TimeoutSeconds).toBe(400);
    expect(taskOf(machine, "Recover").TimeoutSeconds).toBe(3900);
  });
});
