import { LocalIncidentRunner, type LocalIncidentRunnerOptions } from "./incident/local-incident-runner.js";
import { EmbeddedDatabase } from "./store/embedded-database.js";
import { startWalCheckpointer } from "./store/wal-checkpointer.js";

export interface LocalRuntimeOptions extends Omit<LocalIncidentRunnerOptions, "database"> {
  /** The folder that holds `irflow.db`; default `<project>/.irflow`. */
  readonly dir?: string;
  /** The database file itself (wins over `dir`); `:memory:` for a private, throw-away database. */
  readonly path?: string;
}

export interface LocalRuntime {
  readonly runner: LocalIncidentRunner;
  readonly database: EmbeddedDatabase;
  /** Stops the checkpointer and closes the database; the runner must not be used afterwards. */
  close(): void;
}

/**
 * The local default in one call: the embedded database opened (and migrated), and a runner whose
 * incidents, step records, history, approvals and audit log live in it, so a responder in a
 * second terminal sees them. Stores passed in `options` still win (tests).
 */
export async function openLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { dir, path, ...runnerOptions } = options;
  const database = EmbeddedDatabase.open({ ...(dir !== undefined ? { dir } : {}), ...(path !== undefined ? { path } : {}) });
  // A file's WAL is checkpointed beside the runner, not inside its commits (a :memory: database has no WAL).
  const checkpointer = database.path === ":memory:" ? undefined : startWalCheckpointer(database);
  const close = () => {
    // The thread's connection is closed when stop returns (its exit is not waited for), so this
    // connection is the last: closing it checkpoints the WAL into the file and removes it.
    void checkpointer?.stop();
    database.close();
  };
  try {
    const runner = await LocalIncidentRunner.create({ ...runnerOptions, database });
    return { runner, database, close };
  } catch (error) {
    close();
    throw error;
  }
}
