import type { SourcePosition } from "../diagnostics.js";

/** `runbooks/x.md:42 sha256:0123456789ab`: where a state came from, and which text it was. */
export function provenance(file: string, at: SourcePosition | undefined, hash: string, note?: string): string {
  const where = `${file}:${at?.line ?? 1}`;
  return `${note ? `${note} — ` : ""}${where} sha256:${hash.slice(0, 12)}`;
}
