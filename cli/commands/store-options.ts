import { Option } from "commander";
import { DEFAULT_DIRECTORY } from "../../workflows/local/store/embedded-database.js";

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
    return options.db !== undefined ? { path: options.db } : { dir: options.dir ?? DEFAULT_DIRECTORY };
  },
};
