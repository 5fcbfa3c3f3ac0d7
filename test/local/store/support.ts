import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";

/** A fresh folder under the OS temp dir per call, removed (with its databases closed) after each test. */
export function useTempDatabases() {
  const dirs: string[] = [];
  const open: EmbeddedDatabase[] = [];
  afterEach(() => {
    for (const database of open.splice(0)) database.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir(): string {
      const dir = mkdtempSync(join(tmpdir(), "irflow-store-"));
      dirs.push(dir);
      return dir;
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
