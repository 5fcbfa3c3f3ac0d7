import { readFileSync } from "node:fs";
import { declaredRunbookId } from "../../workflows/runbook/parse-runbook.js";

/**
 * The files that declare each runbook id, from their front matter alone: a command can tell an id
 * no runbook has before it compiles (and lints) anything. Files without a readable id are left out.
 */
export function runbookFilesById(files: readonly string[]): ReadonlyMap<string, readonly string[]> {
  const byId = new Map<string, string[]>();
  for (const file of files) {
    const id = declaredRunbookId(readFileSync(file, "utf8"));
    if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), file]);
  }
  return byId;
}
