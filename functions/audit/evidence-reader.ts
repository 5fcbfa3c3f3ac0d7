/** What a reader found at an evidence location. */
export interface EvidenceContent {
  readonly sha256: string;
  readonly sizeBytes: number;
}

/**
 * Reads evidence back so verification can re-hash it. Locations the reader cannot reach (a
 * snapshot id, another account's bucket) resolve to `undefined` and are reported as not
 * checked, never as intact; a reachable location that is gone rejects with `EvidenceMissing`.
 */
export interface EvidenceReader {
  read(location: string): Promise<EvidenceContent | undefined>;
}

export class EvidenceMissing extends Error {
  override readonly name = "EvidenceMissing";
}
