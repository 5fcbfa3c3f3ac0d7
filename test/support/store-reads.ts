import { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";

/** Opens the store in `dir` (as another process would), reads, and closes it. */
export function readStore<T>(dir: string, read: (database: EmbeddedDatabase) => T): T {
  const database = EmbeddedDatabase.open({ dir });
  try {
    return read(database);
  } finally {
    database.close();
  }
}
