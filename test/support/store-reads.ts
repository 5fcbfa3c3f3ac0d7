import { join } from "node:path";
import { DATABASE_FILE, EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { tempDir } from "./temp-dir.js";

/** Opens the store in `dir` (as another process would), reads, and closes it. */
export function readStore<T>(dir: string, read: (database: EmbeddedDatabase) => T): T {
  const database = EmbeddedDatabase.open({ dir });
  try {
    return read(database);
  } finally {
    database.close();
  }
}

/** A copy of the database file at `path` in a fresh temp folder (WAL content included), for a test to tamper with alone. */
export function copyOfStore(path: string, label: string): string {
  const copy = join(tempDir(label), DATABASE_FILE);
  const original = EmbeddedDatabase.open({ path });
  try {
    original.db.prepare("VACUUM INTO ?").run(copy);
  } finally {
    original.close();
  }
  return copy;
}
