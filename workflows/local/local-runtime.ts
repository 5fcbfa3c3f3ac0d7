import { LocalIncidentRunner, type LocalIncidentRunnerOptions } from "./incident/local-incident-runner.js";
import { newRunnerId, RunnerHeartbeat, type RunnerHeartbeatOptions } from "./runner-heartbeat.js";
import { EmbeddedDatabase } from "./store/embedded-database.js";
import { SqliteRunners } from "./store/sqlite-runners.js";
import { startWalCheckpointer } from "./store/wal-checkpointer.js";

export interface LocalRuntimeOptions extends Omit<LocalIncidentRunnerOptions, "database" | "runnerId"> {
  /** The folder that holds `irflow.db`; default `<project>/.irflow`. */
  readonly dir?: string;
  /** The database file itself (wins over `dir`); `:memory:` for a private, throw-away database. */
  readonly path?: string;
  /** This process's liveness record: heartbeat interval and clock (tests). */
  readonly heartbeat?: Omit<RunnerHeartbeatOptions, "onError">;
}

export interface LocalRuntime {
  readonly runner: LocalIncidentRunner;
  readonly database: EmbeddedDatabase;
  /** This process's entry in the store's `runners`: the executions it starts name it. */
  readonly runnerId: string;
  /** Stops the checkpointer, ends the liveness record and closes the database; the runner must not be used afterwards. */
  close(): void;
}

/**
 * The local default in one call: the embedded database opened (and migrated), and a runner whose
 * incidents, step records, history, approvals and audit log live in it, so a responder in a
 * second terminal sees them. The process registers in the store and beats while it runs, so that
 * responder can also tell whether a run waiting at an approval is still there to resume. Stores
 * passed in `options` still win (tests).
 */
export async function openLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { dir, path, heartbeat: heartbeatOptions, ...runnerOptions } = options;
  const database = EmbeddedDatabase.open({ ...(dir !== undefined ? { dir } : {}), ...(path !== undefined ? { path } : {}) });
  let heartbeat: RunnerHeartbeat | undefined;
  // A file's WAL is checkpointed beside the runner, not inside its commits (a :memory: database has no WAL).
  const checkpointer = database.path === ":memory:" ? undefined : startWalCheckpointer(database);
  const close = () => {
    try {
      heartbeat?.stop();
    } finally {
      // The thread's connection is closed when stop returns (its exit is not waited for), so this
      // connection is the last: closing it checkpoints the WAL into the file and removes it.
      void checkpointer?.stop();
      database.close();
    }
  };
  try {
    // The runner first (loading its machines takes a while); it starts nothing before the record is registered.
    const runnerId = heartbeatOptions?.runnerId ?? newRunnerId();
    const runner = await LocalIncidentRunner.create({ ...runnerOptions, database, runnerId });
    // A beat that fails stops beating (the record goes stale: unknown while this pid lives, gone once it is gone): the run's log says why.
    const onError = (error: unknown) => void runner.logs.push({ level: "error", task: "irflow.heartbeat", stepId: "", message: `stopped refreshing this process's liveness record: ${String(error)}` });
    heartbeat = RunnerHeartbeat.start(new SqliteRunners(database), { ...heartbeatOptions, runnerId, onError });
    return { runner, database, runnerId, close };
  } catch (error) {
    close();
    throw error;
  }
}
