import { userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Option } from "commander";
import type { Identity } from "../../functions/approval/identity.js";
import { IDENTITIES_FILE, IdentityError, loadIdentities, localIdentity } from "../../workflows/local/incident/local-identities.js";
import { DEFAULT_DIRECTORY } from "../../workflows/local/store/embedded-database.js";
import { UsageError } from "../usage-error.js";

/** Where the embedded database is: the state folder (as `irflow approvals --dir`) or the file itself. */
export interface StoreOptions {
  dir?: string;
  db?: string;
}

export const storeOptions = {
  dir: () => new Option("--dir <folder>", "the local state folder that holds irflow.db").default(DEFAULT_DIRECTORY, "<project>/.irflow"),
  db: () => new Option("--db <file>", "the embedded database file itself (wins over --dir)"),
  /** For `EmbeddedDatabase.open` / `openLocalRuntime`. */
  location(options: StoreOptions): { dir?: string; path?: string } {
    // An empty name would be the current folder: a store made or read where nobody asked for one.
    if (options.db !== undefined && options.db.trim() === "") throw new UsageError("--db needs a file (the embedded database)");
    if (options.db === undefined && options.dir !== undefined && options.dir.trim() === "") throw new UsageError("--dir needs a folder (the local state folder that holds irflow.db)");
    return options.db !== undefined ? { path: options.db } : { dir: options.dir ?? DEFAULT_DIRECTORY };
  },
};

/** The state folder: the database file's own with `--db`, else `--dir` (default <project>/.irflow). */
export function stateFolder(options: StoreOptions): string {
  return options.db !== undefined ? dirname(resolve(options.db)) : (options.dir ?? DEFAULT_DIRECTORY);
}

/**
 * Who a command acts as: `--as` (default the login name) with its `--role`s, checked against the
 * identities file in the state folder, the one place every command finds it. A bad name or role
 * is a usage error.
 */
export async function identityFor(options: StoreOptions & { as?: string; role?: readonly string[] }): Promise<Identity> {
  try {
    return localIdentity(options.as ?? userInfo().username, [...(options.role ?? [])], await loadIdentities(join(stateFolder(options), IDENTITIES_FILE)));
  } catch (error) {
    if (error instanceof IdentityError) throw new UsageError(error.message);
    throw error;
  }
}
