import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, onTestFinished, TestRunner } from "vitest";

/** Removes a temporary directory and everything in it; a directory already gone is not an error. */
function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// Directories made outside a test (file or describe level, a beforeAll) live until the file's last
// afterAll: registered on import, so it runs after the file's own hooks that close stores or children.
// An afterAll registered from inside a running beforeAll would be silently dropped, hence one sweep here.
// (It relies on vitest's default per-file isolation, which imports this module afresh for each file.)
const fileLived = new Set<string>();
afterAll(() => {
  for (const dir of fileLived) removeTempDir(dir);
  fileLived.clear();
});

/** "test": removed when the current test finishes; "file": when the test file is done. */
export type TempDirLifetime = "test" | "file";

/**
 * A fresh directory under the OS temp directory, removed however the test ends (pass, fail, throw):
 * a suite run a thousand times must not fill the disk (thousands of leaked directories once did).
 * By default one made inside a test or a beforeEach lives until that test finishes, one made anywhere
 * else until the file is done; ask for "file" where a child process may still write after its test.
 */
export function tempDir(prefix: string, lifetime: TempDirLifetime = TestRunner.getCurrentTest() ? "test" : "file"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix.endsWith("-") ? prefix : `${prefix}-`));
  if (lifetime === "test") onTestFinished(() => removeTempDir(dir));
  else fileLived.add(dir);
  return dir;
}
