import { stepKeyString, type StepJournal, type StepKey, type StepRecord } from "../../../functions/runtime/step-journal.js";
import type { Statement } from "better-sqlite3";
import { fromColumn, toColumn, type EmbeddedDatabase } from "./embedded-database.js";
import { groupCommitOf, type GroupCommit } from "./group-commit.js";

/**
 * The step journal in the embedded database, keyed like the memory one (incident, step, task,
 * item, mode): a `run` record is inserted only if none exists
 * (`ON CONFLICT DO NOTHING`) and the stored one is read back, so of two processes running the
 * same step the first to record wins and the other reports the winner's result; `plan` records
 * overwrite. Records are group-committed (one transaction per turn for the whole process), each
 * atomic in its savepoint and resolved only once committed; a read first runs what is queued.
 */
type Params = [string, string, string, number | null, string, string, string, string];

export class SqliteStepJournal implements StepJournal {
  // Prepared once, on first use: preparing costs more than running these small statements.
  private statements?: {
    readonly plan: Statement<Params>;
    readonly run: Statement<Params>;
    readonly read: Statement<[string, string, string, number | null, string], { record: string }>;
  };

  private readonly group: GroupCommit;
  /** Keys of records queued in the group commit and not yet run: a read of one of them runs the queue first. */
  private readonly queued = new Map<string, number>();

  constructor(private readonly database: EmbeddedDatabase) {
    this.group = groupCommitOf(database);
  }

  private prepared() {
    const { db } = this.database;
    const columns = "(incident_id, step_id, task, item, mode, at, execution_id, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    const conflict = "ON CONFLICT (incident_id, step_id, task, coalesce(item, -1), mode)";
    this.statements ??= {
      plan: db.prepare<Params>(`INSERT INTO step_records ${columns} ${conflict} DO UPDATE SET at = excluded.at, execution_id = excluded.execution_id, record = excluded.record`),
      run: db.prepare<Params>(`INSERT INTO step_records ${columns} ${conflict} DO NOTHING`),
      read: db.prepare<[string, string, string, number | null, string], { record: string }>("SELECT record FROM step_records WHERE incident_id = ? AND step_id = ? AND task = ? AND item IS ? AND mode = ?"),
    };
    return this.statements;
  }

  async find(key: StepKey, mode: StepRecord["mode"]): Promise<StepRecord | undefined> {
    return this.read(key, mode);
  }

  async record(key: StepKey, record: StepRecord): Promise<StepRecord> {
    const params: Params = [key.incidentId, key.stepId, key.task, key.item ?? null, record.mode, record.at, record.executionId, toColumn(record)];
    const statements = this.prepared();
    const queuedKey = `${stepKeyString(key)}#${record.mode}`;
    this.queued.set(queuedKey, (this.queued.get(queuedKey) ?? 0) + 1);
    return this.group.run(() => {
      this.unqueue(queuedKey);
      (record.mode === "plan" ? statements.plan : statements.run).run(...params);
      const stored = this.read(key, record.mode);
      if (!stored) throw new Error(`sqlite step journal: ${record.mode} record for ${stepKeyString(key)} vanished after insert`);
      return stored;
    });
  }

  private unqueue(queuedKey: string): void {
    const left = (this.queued.get(queuedKey) ?? 1) - 1;
    if (left > 0) this.queued.set(queuedKey, left);
    else this.queued.delete(queuedKey);
  }

  /** Every record of an incident (plans and runs), in the order they were first recorded. */
  forIncident(incidentId: string): { key: StepKey; record: StepRecord }[] {
    this.group.flush();
    const rows = this.database.db
      .prepare<[string], { step_id: string; task: string; item: number | null; record: string }>("SELECT step_id, task, item, record FROM step_records WHERE incident_id = ? ORDER BY rowid")
      .all(incidentId);
    return rows.map((row) => {
      const key: StepKey = row.item === null ? { incidentId, stepId: row.step_id, task: row.task } : { incidentId, stepId: row.step_id, task: row.task, item: row.item };
      return { key, record: fromColumn<StepRecord>(row.record) };
    });
  }

  private read(key: StepKey, mode: StepRecord["mode"]): StepRecord | undefined {
    if (this.queued.size > 0 && this.queued.has(`${stepKeyString(key)}#${mode}`)) this.group.flush();
    const row = this.prepared().read.get(key.incidentId, key.stepId, key.task, key.item ?? null, mode);
    return row ? fromColumn<StepRecord>(row.record) : undefined;
  }
}
