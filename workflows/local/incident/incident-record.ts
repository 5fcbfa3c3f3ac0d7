import { auditEntry, KIND, stepEntry, type MilestoneName } from "../../../functions/audit/audit-kinds.js";
import type { LocalAuditLog } from "../../../functions/audit/audit-log.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import type { AuditEntry } from "../../../functions/audit/audit-entry.js";
import { projectRecord, reachedMilestones, type IncidentRecord } from "../../../functions/audit/incident-record.js";
import { MemoryAuditLog } from "../../../functions/audit/memory-audit-log.js";
import { unreadBodyJson } from "../../../functions/audit/stored-entry.js";
import type { StepJournal, StepKey, StepRecord } from "../../../functions/runtime/step-journal.js";

export type { IncidentRecord, Milestone, RecordedApproval, RecordedFailure, RecordedStep } from "../../../functions/audit/incident-record.js";
export type { MilestoneName } from "../../../functions/audit/audit-kinds.js";

/** Who the local runner's own entries are by. */
export const LOCAL_ACTOR = "system:irflow-local";

/**
 * The incident record of local runs: every fact is appended to the incident's hash-chained audit
 * log, and `get` projects the record back from the log (DESIGN.md §7), so the record, the report
 * and `irflow verify` all rest on the same entries.
 */
export interface IncidentRecordStore {
  readonly log: LocalAuditLog;
  append(incidentId: string, entry: AuditEntryInput): Promise<void>;
  addMilestone(incidentId: string, milestone: { readonly name: MilestoneName; readonly at: string }): Promise<void>;
  addStep(incidentId: string, step: { readonly stepId: string; readonly item?: number; readonly record: StepRecord }): Promise<void>;
  addFailure(incidentId: string, failure: { readonly stepId: string; readonly error: string; readonly cause?: string; readonly at: string }): Promise<void>;
  get(incidentId: string): IncidentRecord | undefined;
  /** The incident is closed here: what is kept of it in memory may go (a later read still sees it all). */
  release?(incidentId: string): void;
}

/** What a projection was computed from: each entry's fields and body text, compared before reusing it. */
interface Projected {
  readonly from: readonly (readonly [seq: number, at: string, kind: string, actor: string, hash: string, body: string])[];
  readonly record: IncidentRecord;
}

/** Projections kept at most (the incidents running at once, with room to spare). */
const PROJECTIONS_KEPT = 256;

function sameEntries(from: Projected["from"], entries: readonly AuditEntry[]): boolean {
  if (from.length !== entries.length) return false;
  for (let i = 0; i < entries.length; i++) {
    const [seq, at, kind, actor, hash, body] = from[i]!;
    const entry = entries[i]!;
    if (entry.seq !== seq || entry.hash !== hash || entry.at !== at || entry.kind !== kind || entry.actor !== actor || unreadBodyJson(entry) !== body) return false;
  }
  return true;
}

export class AuditedIncidentRecords implements IncidentRecordStore {
  /**
   * Milestones known to be in the log, per incident: read from the log once per incident, then
   * kept as this store appends them (milestones are only appended here), so reaching one does not
   * project the whole record again.
   */
  private readonly milestones = new Map<string, Set<MilestoneName>>();
  /** The last projection per incident, reused while the entries it was computed from are the log. */
  private readonly projected = new Map<string, Projected>();

  constructor(readonly log: LocalAuditLog = new MemoryAuditLog()) {}

  append(incidentId: string, entry: AuditEntryInput): Promise<void> {
    return this.log.append(incidentId, entry);
  }

  async addMilestone(incidentId: string, milestone: { readonly name: MilestoneName; readonly at: string }): Promise<void> {
    // A milestone is reached once (a retried phase does not reach it twice).
    let reached = this.milestones.get(incidentId);
    if (!reached) {
      reached = new Set(reachedMilestones(this.entriesWithQueued(incidentId)));
      this.milestones.set(incidentId, reached);
    }
    if (reached.has(milestone.name)) return;
    reached.add(milestone.name);
    try {
      await this.append(incidentId, auditEntry(KIND.milestone, LOCAL_ACTOR, milestone.at, { name: milestone.name }));
    } catch (error) {
      reached.delete(milestone.name);
      throw error;
    }
  }

  /**
   * The log's entries followed by the appends it has queued: a queued milestone is as good as
   * written (this store appends each once), so a look for one need not commit every incident's
   * queued writes mid-turn, as reading the entries would.
   */
  private entriesWithQueued(incidentId: string): readonly Pick<AuditEntryInput, "kind" | "body">[] {
    const known = this.log.entriesAndQueuedNow?.(incidentId);
    return known ? [...known.entries, ...known.queued] : this.log.entriesNow(incidentId);
  }

  addStep(incidentId: string, step: { readonly stepId: string; readonly item?: number; readonly record: StepRecord }): Promise<void> {
    return this.append(incidentId, stepEntry(step.stepId, step.item, step.record));
  }

  addFailure(incidentId: string, failure: { readonly stepId: string; readonly error: string; readonly cause?: string; readonly at: string }): Promise<void> {
    const body = { stepId: failure.stepId, error: failure.error, ...(failure.cause !== undefined ? { cause: failure.cause } : {}) };
    return this.append(incidentId, auditEntry(KIND.stepFailed, "function:audit.record-failure", failure.at, body));
  }

  get(incidentId: string): IncidentRecord | undefined {
    const entries = this.log.entriesNow(incidentId);
    if (entries.length === 0) return undefined;
    const known = this.projected.get(incidentId);
    if (known && sameEntries(known.from, entries)) return known.record;
    // Taken before projecting: reading a body lets its text go.
    const texts = entries.map(unreadBodyJson);
    const record = projectRecord(incidentId, entries);
    this.projected.delete(incidentId);
    if (texts.every((text) => text !== undefined)) {
      this.projected.set(incidentId, { from: entries.map((e, i) => [e.seq, e.at, e.kind, e.actor, e.hash, texts[i]!] as const), record });
      if (this.projected.size > PROJECTIONS_KEPT) this.projected.delete(this.projected.keys().next().value!);
    }
    return record;
  }

  release(incidentId: string): void {
    this.projected.delete(incidentId);
    this.milestones.delete(incidentId);
    this.log.forget?.(incidentId);
  }
}

/** Records in memory (tests, runs without a database); the log is the same chained log. */
export class MemoryIncidentRecordStore extends AuditedIncidentRecords {
  constructor() {
    super(new MemoryAuditLog());
  }
}

/** A step journal that also appends what it keeps to the incident's audit log. */
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
    // A run another invocation recorded first is already in the log; a plan is re-recorded when re-planned.
    const ours = kept.mode === "plan" || (kept.at === record.at && kept.executionId === record.executionId && kept.summary === record.summary);
    if (key.incidentId !== "" && ours) await this.records.addStep(key.incidentId, { stepId: key.stepId, ...(key.item !== undefined ? { item: key.item } : {}), record: kept });
    return kept;
  }
}
