import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { DATABASE_FILE, EmbeddedDatabase, NotAnIrflowStore } from "../workflows/local/store/embedded-database.js";
import { storeOptions, type StoreOptions } from "./commands/store-options.js";
import { UsageError } from "./usage-error.js";

/** How a command uses the store: only reading (opened read-only) or also writing (answers, abort requests). */
export type StoreAccess = "read" | "write";

/** The database file `--db` or `--dir` names, absolute, as every message says it. */
export function storeFile(options: StoreOptions): string {
  const location = storeOptions.location(options);
  return resolve(location.path ?? join(location.dir!, DATABASE_FILE));
}

/**
 * The store of a command that reads or answers: it must already exist (only `irflow run` and
 * `irflow demo` create one), so a mistyped `--dir`/`--db` is a usage error naming the path rather
 * than an empty answer from a database made on the spot. Nothing is created on the way.
 */
export function openExistingStore(options: StoreOptions, access: StoreAccess): EmbeddedDatabase {
  const file = storeFile(options);
  const stat = statSync(file, { throwIfNoEntry: false });
  if (stat === undefined) throw new UsageError(`no irflow store at ${file} (irflow run or irflow demo creates it; --dir/--db name another)`);
  if (!stat.isFile()) throw new UsageError(`${file} is not a file, so not an irflow store (--db names the database file, --dir the folder that holds ${DATABASE_FILE})`);
  try {
    return EmbeddedDatabase.open({ path: file, existing: access });
  } catch (error) {
    if (error instanceof NotAnIrflowStore) throw new UsageError(`${error.message} (--dir/--db name another)`);
    throw error;
  }
}
