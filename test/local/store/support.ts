import { afterEach } from "vitest";
import { BatchedHistory } from "../../../workflows/local/store/batched-history.js";
import { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { groupCommitOf, type GroupCommit } from "../../../workflows/local/store/group-commit.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { tempDir } from "../../support/temp-dir.js";

/** A fresh folder under the OS temp dir per call, removed (with its databases closed) after each test. */
export function useTempDatabases() {
  const open: EmbeddedDatabase[] = [];
  afterEach(() => {
    for (const database of open.splice(0)) database.close();
  });
  return {
    // Removed when the test finishes, after the afterEach above has closed its databases.
    dir(): string {
      return tempDir("irflow-store-");
    },
    open(dir: string, busyTimeoutMs?: number): EmbeddedDatabase {
      const database = EmbeddedDatabase.open({ dir, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) });
      open.push(database);
      return database;
    },
    fresh(): EmbeddedDatabase {
      return this.open(this.dir());
    },
  };
}

/** A scratch table with a unique column: a write that can be made to fail (a repeated value). Returns its insert. */
export function scratch(database: EmbeddedDatabase): (value: string) => void {
  database.db.exec("CREATE TABLE IF NOT EXISTS scratch (value TEXT NOT NULL UNIQUE)");
  const insert = database.db.prepare<[string]>("INSERT INTO scratch (value) VALUES (?)");
  return (value) => void insert.run(value);
}

/** The scratch table's values in the order they were written, as `database` sees them. */
export const scratchValues = (database: EmbeddedDatabase): string[] =>
  database.db.prepare<[], { value: string }>("SELECT value FROM scratch ORDER BY rowid").all().map((row) => row.value);

/** A history store on `database` behind its group commit, as the runner writes it (`BatchedHistory` over `SqliteHistory`). */
export function batchedHistoryOn(database: EmbeddedDatabase): { readonly group: GroupCommit; readonly history: SqliteHistory; readonly batched: BatchedHistory } {
  const group = groupCommitOf(database);
  const history = new SqliteHistory(database);
  return { group, history, batched: new BatchedHistory(history, group) };
}
