import { describe, expect, it } from "vitest";
import { findTask } from "../../functions/registry.js";
import { RESOURCES, type ChoiceState, type MapState, type Retrier, type StateMachine, type TaskState } from "../../workflows/compiler/asl.js";
import { namedMachines } from "../../workflows/compiler/compile-runbook.js";
import { lintAsl, type LintContext } from "../../workflows/compiler/lint-asl.js";
import { validateAsl } from "../../workflows/compiler/validate-asl.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { compileOk, STALE_KEYS_RUNBOOK } from "./helpers.js";

const PROVENANCE = "runbooks/test.md:3 sha256:0123456789ab";
const RETRY: Retrier = { ErrorEquals: ["Lambda.ServiceException", "Lambda.TooManyRequestsException", "Transient"], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "FULL" };

const context: LintContext = {
  isTask: (name) => findTask(name) !== undefined,
  isMachine: (name) => name.startsWith("test/"),
};

/** A small machine that passes every rule: an approval, an action, a choice, an end and a failure. */
function validMachine(): StateMachine {
  return {
    Comment: "a machine for the lint tests",
    QueryLanguage: "JSONPath",
    StartAt: "Approve",
    TimeoutSeconds: 600,
    States: {
      Approve: {
        Type: "Task",
        Comment: `wait — ${PROVENANCE}`,
        Resource: RESOURCES.lambdaInvokeCallback,
        Parameters: { FunctionName: "${Task:approval.request}", Payload: { "taskToken.$": "$$.Task.Token", "incidentId.$": "$.incidentId" } },
        ResultPath: "$.step.approval",
        TimeoutSeconds: 300,
        Retry: [RETRY],
        Catch: [
          { ErrorEquals: ["States.Timeout"], ResultPath: "$.step.error", Next: "Failed" },
          { ErrorEquals: ["Rejected"], ResultPath: "$.step.error", Next: "Failed" },
        ],
        Next: "Act",
      },
      Act: {
        Type: "Task",
        Comment: PROVENANCE,
        Resource: RESOURCES.lambdaInvoke,
        Parameters: { FunctionName: "${Task:sns.notify}", Payload: { mode: "run", input: { subject: "x", message: "y" } } },
        ResultPath: null,
        TimeoutSeconds: 60,
        Retry: [RETRY],
        Next: "Each",
      },
      Each: {
        Type: "Map",
        Comment: PROVENANCE,
        ItemsPath: "$.items",
        ItemSelector: { "value.$": "$$.Map.Item.Value" },
        MaxConcurrency: 2,
        ItemProcessor: {
          ProcessorConfig: { Mode: "INLINE" },
          StartAt: "Notify one",
          States: {
            "Notify one": {
              Type: "Task",
              Comment: PROVENANCE,
              Resource: RESOURCES.lambdaInvoke,
              Parameters: { FunctionName: "${Task:sns.notify}", Payload: { "input.$": "$.value" } },
              TimeoutSeconds: 60,
              Retry: [RETRY],
              End: true,
            },
          },
        },
        ResultPath: null,
        Next: "Which?",
      },
      "Which?": { Type: "Choice", Comment: PROVENANCE, Choices: [{ Variable: "$.done", IsPresent: true, Next: "Done" }], Default: "Done" },
      Done: { Type: "Succeed", Comment: PROVENANCE },
      Failed: { Type: "Fail", Comment: PROVENANCE, Error: "StepFailed", Cause: "rejected or timed out" },
    },
  };
}

/** A copy of the valid machine with one change made to it. */
function broken(change: (m: StateMachine & { States: Record<string, unknown> }) => void): StateMachine {
  const machine = structuredClone(validMachine());
  change(machine);
  return machine;
}

const task = (m: StateMachine, name: string) => m.States[name] as TaskState;

describe("lintAsl", () => {
  it("finds nothing wrong with a well-formed machine, nor with any machine the compiler generates", () => {
    expect(lintAsl(validMachine(), context)).toEqual([]);
    for (const { definition } of [...compileOk(SAMPLE_RUNBOOK).machines, ...compileOk(STALE_KEYS_RUNBOOK, "runbooks/stale.md").machines]) {
      expect(lintAsl(definition, { isTask: context.isTask, isMachine: (name) => /^(sample-compromise|stale-access-keys)\//.test(name) })).toEqual([]);
    }
  });

  const cases: { name: string; machine: () => StateMachine; problem: RegExp }[] = [
    {
      name: "a Choice without Default",
      machine: () => broken((m) => delete (m.States["Which?"] as Partial<ChoiceState>).Default),
      problem: /^state "Which\?": a Choice needs a Default$/,
    },
    {
      name: "a callback task without TimeoutSeconds",
      machine: () => broken((m) => delete (task(m, "Approve") as Partial<TaskState>).TimeoutSeconds),
      problem: /^state "Approve": a Task needs TimeoutSeconds$/,
    },
    {
      name: "a callback task that does not catch Rejected",
      machine: () => broken((m) => (task(m, "Approve").Catch = task(m, "Approve").Catch!.filter((c) => !c.ErrorEquals.includes("Rejected")))),
      problem: /^state "Approve": a callback task must catch Rejected explicitly$/,
    },
    {
      name: "a callback task that does not catch States.Timeout",
      machine: () => broken((m) => (task(m, "Approve").Catch = task(m, "Approve").Catch!.filter((c) => !c.ErrorEquals.includes("States.Timeout")))),
      problem: /^state "Approve": a callback task must catch States\.Timeout explicitly$/,
    },
    {
      name: "a callback task that does not pass the task token",
      machine: () => broken((m) => (task(m, "Approve").Parameters = { FunctionName: "${Task:approval.request}", Payload: { "incidentId.$": "$.incidentId" } })),
      problem: /^state "Approve": a callback task must pass \$\$\.Task\.Token as taskToken$/,
    },
    {
      name: "the task token in a task that is not a callback",
      machine: () => broken((m) => ((task(m, "Act").Parameters.Payload as Record<string, string>)["token.$"] = "$$.Task.Token")),
      problem: /^state "Act": \$\$\.Task\.Token outside a callback task$/,
    },
    {
      name: "the task token in a Pass state",
      machine: () =>
        broken((m) => {
          m.States.Act = { Type: "Pass", Comment: PROVENANCE, Parameters: { "token.$": "$$.Task.Token" }, Next: "Each" };
        }),
      problem: /^state "Act": \$\$\.Task\.Token outside a callback task$/,
    },
    {
      name: "a state without a provenance Comment",
      machine: () => broken((m) => (task(m, "Act").Comment = "sends a notification")),
      problem: /^state "Act": Comment must carry provenance/,
    },
    {
      name: "a provenance Comment with a short hash",
      machine: () => broken((m) => (task(m, "Act").Comment = "runbooks/test.md:3 sha256:0123")),
      problem: /^state "Act": Comment must carry provenance/,
    },
    {
      name: "an unreachable state",
      machine: () =>
        broken((m) => {
          m.States.Orphan = { Type: "Succeed", Comment: PROVENANCE };
        }),
      problem: /^state "Orphan": unreachable$/,
    },
    {
      name: "an unknown task placeholder",
      machine: () => broken((m) => (task(m, "Act").Parameters.FunctionName = "${Task:ec2.isolate-instanse}")),
      problem: /^state "Act": unknown task placeholder ec2\.isolate-instanse$/,
    },
    {
      name: "an unknown machine placeholder",
      machine: () =>
        broken((m) => {
          m.States.Act = { ...task(m, "Act"), Resource: RESOURCES.startExecutionSync, Parameters: { StateMachineArn: "${Machine:other/contain}", "Input.$": "$" } };
        }),
      problem: /^state "Act": unknown machine placeholder other\/contain$/,
    },
    {
      name: "a Map without MaxConcurrency",
      machine: () => broken((m) => delete (m.States.Each as Partial<MapState>).MaxConcurrency),
      problem: /^state "Each": a Map needs MaxConcurrency/,
    },
    {
      name: "a problem inside a Map's item processor, named with its parent",
      machine: () => broken((m) => ((m.States.Each as MapState).ItemProcessor.States["Notify one"]!.Comment = "no provenance")),
      problem: /^state "Each" > state "Notify one": Comment must carry provenance/,
    },
    {
      name: "a QueryLanguage of JSONata",
      machine: () => broken((m) => ((m as { QueryLanguage: string }).QueryLanguage = "JSONata")),
      problem: /^machine: QueryLanguage must be JSONPath/,
    },
    {
      name: "a per-state QueryLanguage",
      machine: () => broken((m) => ((m.States.Done as unknown as Record<string, unknown>).QueryLanguage = "JSONata")),
      problem: /^state "Done": per-state QueryLanguage is not allowed$/,
    },
    {
      name: "a machine without TimeoutSeconds",
      machine: () => broken((m) => delete m.TimeoutSeconds),
      problem: /^machine: TimeoutSeconds must be set/,
    },
    {
      name: "a resource irflow does not generate",
      machine: () => broken((m) => (task(m, "Act").Resource = "arn:aws:states:::sqs:sendMessage")),
      problem: /^state "Act": resource arn:aws:states:::sqs:sendMessage is not one irflow generates$/,
    },
    {
      name: "a Lambda task that does not retry throttling",
      machine: () => broken((m) => (task(m, "Act").Retry = [{ ...RETRY, ErrorEquals: ["Lambda.ServiceException"] }])),
      problem: /^state "Act": must retry Lambda\.TooManyRequestsException$/,
    },
    {
      name: "a state name longer than 80 characters",
      machine: () =>
        broken((m) => {
          const long = "N".repeat(81);
          m.States[long] = m.States.Done!;
          delete m.States.Done;
          (m.States["Which?"] as ChoiceState).Choices[0]!.Next = long;
          (m.States["Which?"] as ChoiceState).Default = long;
        }),
      problem: /^state "N{81}": name longer than 80 characters$/,
    },
  ];

  it.each(cases)("flags $name, and only that", ({ machine, problem }) => {
    expect(lintAsl(machine(), context)).toEqual([expect.stringMatching(problem)]);
  });

  it("wants a callback task to name the timeout and the rejection, not to rely on States.ALL", () => {
    const machine = broken((m) => (task(m, "Approve").Catch = [{ ErrorEquals: ["States.ALL"], Next: "Failed" }]));
    expect(lintAsl(machine, context)).toEqual([
      'state "Approve": a callback task must catch States.Timeout explicitly',
      'state "Approve": a callback task must catch Rejected explicitly',
    ]);
  });

  it("counts states reached only through Catch or a Choice as reachable", () => {
    // Failed is reached only from Approve's Catch, Done only from the Choice.
    const problems = lintAsl(validMachine(), context);
    expect(problems.filter((p) => p.includes("unreachable"))).toEqual([]);
    const withoutCatch = broken((m) => delete task(m, "Approve").Catch);
    expect(lintAsl(withoutCatch, context)).toEqual(expect.arrayContaining([expect.stringMatching(/^state "Failed": unreachable$/)]));
  });

  it("reports every problem of a machine, not just the first", () => {
    const machine = broken((m) => {
      delete (m.States["Which?"] as Partial<ChoiceState>).Default;
      delete (m.States.Each as Partial<MapState>).MaxConcurrency;
      task(m, "Act").Comment = "none";
    });
    expect(lintAsl(machine, context)).toHaveLength(3);
  });
});

describe("validateAsl", () => {
  const sample = compileOk(SAMPLE_RUNBOOK);

  it("returns nothing for valid machines, one or many", () => {
    expect(validateAsl([])).toEqual([]);
    expect(validateAsl([{ name: "test/valid", definition: validMachine() }])).toEqual([]);
    expect(validateAsl(namedMachines([sample, compileOk(STALE_KEYS_RUNBOOK, "runbooks/stale.md")]))).toEqual([]);
  });

  it("reports a transition to a missing state, naming the machine it is in", () => {
    const contain = structuredClone(sample.machines.find((m) => m.name === "contain")!.definition);
    (contain.States["Snapshot the volumes"] as TaskState).Next = "Nowhere";
    const problems = validateAsl([
      { name: "sample-compromise/detect", definition: sample.machines[0]!.definition },
      { name: "sample-compromise/contain", definition: contain },
    ]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.includes("sample-compromise/contain") && p.includes("Nowhere"))).toBe(true);
    expect(problems.some((p) => p.startsWith("MISSING_TRANSITION_TARGET"))).toBe(true);
    // The healthy machine is not blamed, and the internal prefixes do not leak.
    expect(problems.some((p) => p.includes("sample-compromise/detect"))).toBe(false);
    expect(problems.some((p) => /\d#/.test(p))).toBe(false);
  });

  it("allows the same state name in two different machines", () => {
    // Every phase machine has "Phase failed" and every machine of two runbooks repeats names.
    expect(validateAsl([
      { name: "test/a", definition: validMachine() },
      { name: "test/b", definition: validMachine() },
    ])).toEqual([]);
  });

  it("reports a state name used twice within one machine, inside a Map included", () => {
    const machine = broken((m) => {
      const each = m.States.Each as MapState;
      each.ItemProcessor.States = { Done: { ...each.ItemProcessor.States["Notify one"]! } };
      each.ItemProcessor.StartAt = "Done";
    });
    const problems = validateAsl([
      { name: "test/ok", definition: validMachine() },
      { name: "test/dup", definition: machine },
    ]);
    expect(problems).toEqual([expect.stringMatching(/^DUPLICATE_STATE_NAMES: .*test\/dup: Done$/)]);
  });

  it("reports a bad JSONPath in a Choice rule", () => {
    const machine = broken((m) => ((m.States["Which?"] as ChoiceState).Choices[0]!.Variable = "done"));
    const problems = validateAsl([{ name: "test/path", definition: machine }]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.includes("test/path"))).toBe(true);
  });
});
