import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

export interface Drift {
  readonly changed: readonly string[];
  readonly missing: readonly string[];
  readonly extra: readonly string[];
}

/** The files irflow writes: `<runbook>/<machine>.asl.json` and `manifest.json`; nothing else is ours. */
const GENERATED = /^(?:manifest\.json|[a-z][a-z0-9-]*\/[a-z-]+\.asl\.json)$/;

function listFiles(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split("\\").join("/"))
    .filter((path) => GENERATED.test(path))
    .sort();
}

/** How the committed generated files differ from what the runbooks compile to now. */
export function compareGenerated(directory: string, expected: ReadonlyMap<string, string>): Drift {
  const present = listFiles(directory);
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [path, content] of expected) {
    const full = join(directory, path);
    if (!existsSync(full)) missing.push(path);
    else if (readFileSync(full, "utf8") !== content) changed.push(path);
  }
  const extra = present.filter((path) => !expected.has(path));
  return { changed, missing, extra };
}

export function isFresh(drift: Drift): boolean {
  return drift.changed.length + drift.missing.length + drift.extra.length === 0;
}

/** Writes exactly the expected files, removing generated files no runbook produces any more. */
export function writeGenerated(directory: string, expected: ReadonlyMap<string, string>): Drift {
  const drift = compareGenerated(directory, expected);
  for (const path of [...drift.changed, ...drift.missing]) {
    const full = join(directory, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, expected.get(path)!);
  }
  for (const path of drift.extra) rmSync(join(directory, path));
  removeEmptyFolders(directory);
  return drift;
}

/** Removes folders left empty at any depth (a runbook removed or renamed), keeping `directory`. */
function removeEmptyFolders(directory: string): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const full = join(directory, entry.name);
    removeEmptyFolders(full);
    if (readdirSync(full).length === 0) rmSync(full, { recursive: true });
  }
}
