/**
 * Orders an incident's execution history events and audit entries into one timeline. Both carry
 * millisecond timestamps, and a task's state is often entered, run and left within one
 * millisecond, so time alone cannot say whether "ran contain/x" comes before or after
 * "TaskStateEntered X". Time stays the first key (the timeline never goes back in time); within one
 * millisecond an audit entry sits where it was written: inside the Task state that ran its step
 * (after the state's TaskStarted, before its TaskSucceeded), or just after the start or the last
 * event of the execution it names, or beside the entry written just before it.
 */

/** An execution history event, as the ordering needs it. */
export interface TimelineEvent {
  readonly at: string;
  readonly executionArn: string;
  readonly type: string;
  /** Of a TaskScheduled: the task, step and mode (plan or run) its payload names. */
  readonly task?: string;
  readonly stepId?: string;
  readonly mode?: string;
}

/** An audit entry, as the ordering needs it: what its body says about where it was written. */
export interface TimelineEntry {
  readonly at: string;
  readonly seq: number;
  readonly kind: string;
  readonly executionArn?: string;
  readonly stepId?: string;
  readonly mode?: string;
  /** The task whose function wrote it (`function:<task>` actors). */
  readonly task?: string;
}

export type TimelineItem = { readonly event: number } | { readonly entry: number };

const TASK_ENDS = new Set(["TaskSucceeded", "TaskFailed", "TaskTimedOut"]);

interface TaskWindow {
  readonly scheduled: number;
  /** The event after which the task's work happens: its TaskStarted, else the TaskScheduled. */
  readonly started: number;
  readonly end?: number;
}

/**
 * The merged order: `events` are each execution's events in id order (executions one after
 * another), `entries` the audit log in seq order; answers indexes into both.
 */
export function orderTimeline(events: readonly TimelineEvent[], entries: readonly TimelineEntry[]): TimelineItem[] {
  // Events by time, stable: within a millisecond, each execution's id order and the executions' order.
  const stream = events.map((_, i) => i).sort((a, b) => compareTime(events[a]!.at, events[b]!.at) || a - b);
  const position = new Array<number>(events.length);
  stream.forEach((eventIndex, pos) => (position[eventIndex] = pos));

  const byExecution = new Map<string, number[]>();
  events.forEach((event, i) => {
    const list = byExecution.get(event.executionArn) ?? [];
    list.push(i);
    byExecution.set(event.executionArn, list);
  });
  const windows = taskWindows(events, byExecution);

  const anchors: (number | undefined)[] = [];
  entries.forEach((entry, i) => {
    const own = anchorOf(entry, events, byExecution, windows, position);
    const previous = entries[i - 1];
    // An entry the body cannot place (a milestone, the close) follows the one written just before it.
    anchors.push(own ?? (previous !== undefined && previous.at === entry.at ? anchors[i - 1] : undefined));
  });

  const items: { item: TimelineItem; at: string; key: number; seq: number }[] = [
    ...events.map((event, i) => ({ item: { event: i }, at: event.at, key: position[i]!, seq: 0 })),
    ...entries.map((entry, i) => ({ item: { entry: i }, at: entry.at, key: anchors[i] ?? Number.POSITIVE_INFINITY, seq: entry.seq })),
  ];
  return items.sort((a, b) => compareTime(a.at, b.at) || a.key - b.key || a.seq - b.seq).map(({ item }) => item);
}

/** ISO times compare as text; equal texts are the same millisecond. */
const compareTime = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function taskWindows(events: readonly TimelineEvent[], byExecution: ReadonlyMap<string, readonly number[]>): Map<number, TaskWindow> {
  const windows = new Map<number, TaskWindow>();
  for (const indexes of byExecution.values()) {
    for (const [k, scheduled] of indexes.entries()) {
      if (events[scheduled]!.type !== "TaskScheduled") continue;
      let started = scheduled;
      let end: number | undefined;
      for (const next of indexes.slice(k + 1)) {
        const type = events[next]!.type;
        if (type === "TaskStarted" && started === scheduled) started = next;
        else if (TASK_ENDS.has(type)) {
          end = next;
          break;
        } else if (type === "TaskScheduled") break;
      }
      windows.set(scheduled, { scheduled, started, ...(end !== undefined ? { end } : {}) });
    }
  }
  return windows;
}

/** Where in the event stream an entry was written (a half position: between two events), if its body says. */
function anchorOf(entry: TimelineEntry, events: readonly TimelineEvent[], byExecution: ReadonlyMap<string, readonly number[]>, windows: ReadonlyMap<number, TaskWindow>, position: readonly number[]): number | undefined {
  const task = taskThatWrote(entry, events, windows);
  if (task !== undefined) return position[task.started]! + 0.5;
  const own = entry.executionArn !== undefined ? byExecution.get(entry.executionArn) : undefined;
  if (own === undefined || own.length === 0) return undefined;
  if (entry.kind.endsWith(".started")) return position[own[0]!]! + 0.5;
  const before = own.filter((i) => events[i]!.at <= entry.at).at(-1);
  return before !== undefined ? position[before]! + 0.5 : undefined;
}

/**
 * The Task state whose task wrote the entry: one that names its step (or, without a step, runs the
 * function that wrote it), in its execution when the entry names one, with its mode when both say;
 * of those, the last that was running at the entry's time, else the last begun before it.
 */
function taskThatWrote(entry: TimelineEntry, events: readonly TimelineEvent[], windows: ReadonlyMap<number, TaskWindow>): TaskWindow | undefined {
  if (entry.stepId === undefined && entry.task === undefined) return undefined;
  const candidates = [...windows.values()].filter((w) => {
    const scheduled = events[w.scheduled]!;
    if (entry.executionArn !== undefined && scheduled.executionArn !== entry.executionArn) return false;
    if (entry.stepId !== undefined ? scheduled.stepId !== entry.stepId : scheduled.task !== entry.task) return false;
    if (entry.mode !== undefined && scheduled.mode !== undefined && scheduled.mode !== entry.mode) return false;
    return scheduled.at <= entry.at;
  });
  const running = candidates.filter((w) => w.end === undefined || events[w.end]!.at >= entry.at);
  return running.at(-1) ?? candidates.at(-1);
}
