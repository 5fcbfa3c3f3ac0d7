import type { Change, Evidence, Undo } from "../contract/changes.js";

/**
 * Which run of which task in which step: the idempotency key of a task invocation. The task is
 * part of it because a step's `Record failure:` state runs another task under the same step id.
 */
export interface StepKey {
  readonly incidentId: string;
  readonly stepId: string;
  readonly task: string;
  /** Index of the item in a `foreach` step. */
  readonly item?: number;
}

export interface StepRecord {
  readonly task: string;
  readonly mode: "plan" | "run";
  readonly at: string;
  readonly executionId: string;
  readonly summary: string;
  readonly changes: readonly Change[];
  readonly evidence: readonly Evidence[];
  readonly undo?: Undo;
  readonly digest?: string;
  readonly output?: Record<string, unknown>;
}

/**
 * Where each step's plan and result are kept: the ledger that makes a step run once per incident
 * (duplicate events and Step Functions retries are normal), and the source of the incident
 * record's changes, evidence and undo. DynamoDB in AWS, the embedded store locally.
 */
export interface StepJournal {
  find(key: StepKey, mode: StepRecord["mode"]): Promise<StepRecord | undefined>;
  /**
   * Stores a record. For `run`, the first record wins: when another invocation recorded first,
   * that record is returned and the caller reports it instead of its own.
   */
  record(key: StepKey, record: StepRecord): Promise<StepRecord>;
}

export function stepKeyString(key: StepKey): string {
  return `${key.incidentId}#${key.stepId}#${key.task}${key.item === undefined ? "" : `#${key.item}`}`;
}

/** In-process journal for tests and single-process runs. */
export class MemoryStepJournal implements StepJournal {
  private readonly records = new Map<string, StepRecord>();

  find(key: StepKey, mode: StepRecord["mode"]): Promise<StepRecord | undefined> {
    return Promise.resolve(this.records.get(`${stepKeyString(key)}#${mode}`));
  }

  record(key: StepKey, record: StepRecord): Promise<StepRecord> {
    const id = `${stepKeyString(key)}#${record.mode}`;
    const existing = this.records.get(id);
    if (record.mode === "run" && existing) return Promise.resolve(existing);
    this.records.set(id, record);
    return Promise.resolve(record);
  }

  all(): StepRecord[] {
    return [...this.records.values()];
  }
}
