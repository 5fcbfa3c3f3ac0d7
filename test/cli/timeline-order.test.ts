/** irflow history's merge of execution events and audit entries when their milliseconds are equal. */
import { describe, expect, it } from "vitest";
import { orderTimeline, type TimelineEntry, type TimelineEvent, type TimelineItem } from "../../cli/commands/timeline-order.js";

const T = "2026-11-25T03:03:03.118Z";
const T1 = "2026-11-25T03:03:03.119Z";
const ARN = "arn:aws:states:local:000000000000:execution:irflow-x-contain:inc-20261125-0a1b2c3d4e5f-contain";
const PARENT = "arn:aws:states:local:000000000000:execution:irflow-x-incident:inc-20261125-0a1b2c3d4e5f";
const STEP = "contain/deactivate-the-access-key";

const ev = (type: string, extra: Partial<TimelineEvent> = {}, at = T): TimelineEvent => ({ at, executionArn: ARN, type, ...extra });
const scheduled = (mode: "plan" | "run", at = T) => ev("TaskScheduled", { task: "iam.deactivate-access-key", stepId: STEP, mode }, at);

/** One phase execution with a Plan state and its action state, every event in the same millisecond. */
const EVENTS: readonly TimelineEvent[] = [
  ev("ExecutionStarted"), // 0
  ev("TaskStateEntered"), // 1 Plan: Deactivate the access key
  scheduled("plan"), // 2
  ev("TaskStarted"), // 3
  ev("TaskSucceeded"), // 4
  ev("TaskStateExited"), // 5
  ev("TaskStateEntered"), // 6 Deactivate the access key
  scheduled("run"), // 7
  ev("TaskStarted"), // 8
  ev("TaskSucceeded"), // 9
  ev("TaskStateExited"), // 10
  ev("ExecutionSucceeded"), // 11
];

const names = (items: readonly TimelineItem[]) => items.map((item) => ("entry" in item ? `a${item.entry}` : `e${item.event}`));

describe("orderTimeline", () => {
  it("with equal timestamps: a state's events, then what its task wrote, then the state's TaskSucceeded; phase entries beside their execution's start and end", () => {
    const entries: TimelineEntry[] = [
      { at: T, seq: 1, kind: "phase.started", executionArn: ARN },
      { at: T, seq: 2, kind: "step.planned", executionArn: ARN, stepId: STEP, mode: "plan", task: "iam.deactivate-access-key" },
      { at: T, seq: 3, kind: "step.ran", executionArn: ARN, stepId: STEP, mode: "run", task: "iam.deactivate-access-key" },
      { at: T, seq: 4, kind: "phase.ended", executionArn: ARN },
      { at: T, seq: 5, kind: "milestone.reached" },
    ];
    expect(names(orderTimeline(EVENTS, entries))).toEqual(["e0", "a0", "e1", "e2", "e3", "a1", "e4", "e5", "e6", "e7", "e8", "a2", "e9", "e10", "e11", "a3", "a4"]);
  });

  it("keeps time first: an entry is never moved before an earlier millisecond or after a later one", () => {
    const events = [ev("TaskStateEntered"), scheduled("run"), ev("TaskStarted"), ev("TaskSucceeded", {}, T1), ev("TaskStateExited", {}, T1)];
    const ran: TimelineEntry = { at: T1, seq: 1, kind: "step.ran", executionArn: ARN, stepId: STEP, mode: "run" };
    // Written in the millisecond the state ended: after the earlier millisecond, before its TaskSucceeded.
    expect(names(orderTimeline(events, [ran]))).toEqual(["e0", "e1", "e2", "a0", "e3", "e4"]);
    const early: TimelineEntry = { at: "2026-11-25T03:03:03.117Z", seq: 1, kind: "step.ran", executionArn: ARN, stepId: STEP, mode: "run" };
    expect(names(orderTimeline(events, [early]))).toEqual(["a0", "e0", "e1", "e2", "e3", "e4"]);
  });

  it("places an entry by the function that wrote it when its body names no step", () => {
    const events = [ev("TaskStateEntered"), ev("TaskScheduled", { task: "detect.open-incident" }), ev("TaskStarted"), ev("TaskSucceeded"), ev("TaskStateExited")];
    const opened: TimelineEntry = { at: T, seq: 1, kind: "incident.opened", task: "detect.open-incident" };
    const milestone: TimelineEntry = { at: T, seq: 2, kind: "milestone.reached" };
    expect(names(orderTimeline(events, [opened, milestone]))).toEqual(["e0", "e1", "e2", "a0", "a1", "e3", "e4"]);
  });

  it("an entry with nothing to place it by comes after its millisecond's events; events of several executions keep their own order", () => {
    const parent = (type: string): TimelineEvent => ({ at: T, executionArn: PARENT, type });
    const events = [parent("ExecutionStarted"), parent("TaskStateEntered"), ev("ExecutionStarted"), ev("ExecutionSucceeded"), { ...parent("TaskSucceeded"), at: T1 }];
    const closed: TimelineEntry = { at: T, seq: 1, kind: "incident.closed" };
    expect(names(orderTimeline(events, [closed]))).toEqual(["e0", "e1", "e2", "e3", "a0", "e4"]);
  });

  it("a retried step's entry goes into the attempt that was running when it was written", () => {
    const events = [
      ev("TaskStateEntered"),
      scheduled("run"),
      ev("TaskStarted"),
      ev("TaskFailed"),
      scheduled("run", T1), // the retry
      ev("TaskStarted", {}, T1),
      ev("TaskSucceeded", {}, T1),
      ev("TaskStateExited", {}, T1),
    ];
    const ran: TimelineEntry = { at: T1, seq: 1, kind: "step.ran", executionArn: ARN, stepId: STEP, mode: "run" };
    expect(names(orderTimeline(events, [ran]))).toEqual(["e0", "e1", "e2", "e3", "e4", "e5", "a0", "e6", "e7"]);
  });
});
