import type { StepJournal, StepKey, StepRecord } from "../../../functions/runtime/step-journal.js";
import type { ApprovalDecision, PendingApproval } from "./approval-desk.js";

export type MilestoneName = "detected" | "contained" | "eradicated" | "recovered" | "closed";

export interface Milestone {
  readonly name: MilestoneName;
  readonly at: string;
}

export interface RecordedFailure {
  readonly stepId: string;
  readonly error: string;
  readonly cause?: string;
  readonly at: string;
}

export interface RecordedStep {
  readonly stepId: string;
  readonly item?: number;
  readonly record: StepRecord;
}

export interface RecordedApproval {
  readonly approval: PendingApproval;
  readonly decision: ApprovalDecision;
}

/** What is known of one incident beyond its workflow document (DESIGN.md §7, the local part). */
export interface IncidentRecord {
  readonly incidentId: string;
  readonly milestones: readonly Milestone[];
  /** Every plan and run the step journal recorded for the incident, in order. */
  readonly steps: readonly RecordedStep[];
  readonly failures: readonly RecordedFailure[];
  readonly approvals: readonly RecordedApproval[];
}

/** Where incident records are kept; in memory for now (an embedded database later). */
export interface IncidentRecordStore {
  addMilestone(incidentId: string, milestone: Milestone): void;
  addStep(incidentId: string, step: RecordedStep): void;
  addFailure(incidentId: string, failure: RecordedFailure): void;
  addApproval(incidentId: string, approval: RecordedApproval): void;
  get(incidentId: string): IncidentRecord | undefined;
}

interface Mutable {
  incidentId: string;
  milestones: Milestone[];
  steps: RecordedStep[];
  failures: RecordedFailure[];
  approvals: RecordedApproval[];
}

export class MemoryIncidentRecordStore implements IncidentRecordStore {
  private readonly records = new Map<string, Mutable>();

  private of(incidentId: string): Mutable {
    let record = this.records.get(incidentId);
    if (!record) {
      record = { incidentId, milestones: [], steps: [], failures: [], approvals: [] };
      this.records.set(incidentId, record);
    }
    return record;
  }

  addMilestone(incidentId: string, milestone: Milestone): void {
    const record = this.of(incidentId);
    // A milestone is reached once (a retried phase does not reach it twice).
    if (!record.milestones.some((m) => m.name === milestone.name)) record.milestones.push(milestone);
  }

  addStep(incidentId: string, step: RecordedStep): void {
    const record = this.of(incidentId);
    const same = (s: RecordedStep) => s.stepId === step.stepId && s.item === step.item && s.record.mode === step.record.mode;
    const index = record.steps.findIndex(same);
    // The journal keeps the first run and the latest plan; so does the record.
    if (index === -1) record.steps.push(step);
    else if (step.record.mode === "plan") record.steps[index] = step;
  }

  addFailure(incidentId: string, failure: RecordedFailure): void {
    this.of(incidentId).failures.push(failure);
  }

  addApproval(incidentId: string, approval: RecordedApproval): void {
    this.of(incidentId).approvals.push(approval);
  }

  get(incidentId: string): IncidentRecord | undefined {
    const record = this.records.get(incidentId);
    return record ? structuredClone(record) : undefined;
  }
}

/** A step journal that also copies what it keeps into the incident record. */
export class RecordingJournal implements StepJournal {
  constructor(
    private readonly inner: StepJournal,
    private readonly records: IncidentRecordStore,
  ) {}

  find(key: StepKey, mode: StepRecord["mode"]): Promise<StepRecord | undefined> {
    return this.inner.find(key, mode);
  }

  async record(key: StepKey, record: StepRecord): Promise<StepRecord> {
    const kept = await this.inner.record(key, record);
    if (key.incidentId !== "") this.records.addStep(key.incidentId, { stepId: key.stepId, ...(key.item !== undefined ? { item: key.item } : {}), record: kept });
    return kept;
  }
}
