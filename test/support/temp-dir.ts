import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, onTestFinished, TestRunner } from "vitest";

/** Removes a temporary directory and everything in it; a directory already gone is not an error. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// Directories made outside a test (file or describe level, a beforeAll) live until the file's last
// afterAll: registered on import, so it runs after the file's own hooks that close stores or children.
// An afterAll registered from inside a running beforeAll would be silently dropped, hence one sweep here.
const fileLived = new Set<string>();
afterAll(() => {
  for (const dir of fileLived) removeTempDir(dir);
  fileLived.clear();
});

/**
 * A fresh directory under the OS temp directory, removed however the test ends (pass, fail, throw):
 * a suite run a thousand times must not fill the disk (thousands of leaked directories once did).
 * Made inside a test or a beforeEach, it is removed when that test finishes; made anywhere else, when
 * the test file is done, so a store opened in beforeAll or a child process can keep writing into it.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix.endsWith("-") ? prefix : `${prefix}-`));
  if (TestRunner.getCurrentTest()) onTestFinished(() => removeTempDir(dir));
  else fileLived.add(dir);
  return dir;
}
