import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { EvidenceMissing, type EvidenceContent, type EvidenceReader } from "./evidence-reader.js";

/** An absolute path or a file: URL → the path; anything else (s3://…, snap-…, an ARN) is not a file. */
export function filePathOf(location: string): string | undefined {
  if (location.startsWith("file:")) {
    try {
      return fileURLToPath(location);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(location) && !location.includes("://") ? location : undefined;
}

/**
 * Evidence and reports that are files on this machine (a local run writes its reports under
 * .irflow/reports), hashed as they stream. Not a file location: undefined (not checked); a
 * file that is not there: EvidenceMissing.
 */
export class FileEvidenceReader implements EvidenceReader {
  async read(location: string): Promise<EvidenceContent | undefined> {
    const path = filePathOf(location);
    if (path === undefined) return undefined;
    const hash = createHash("sha256");
    let sizeBytes = 0;
    try {
      for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        sizeBytes += chunk.length;
      }
    } catch (error) {
      const code = error instanceof Error && "code" in error ? error.code : undefined;
      if (code === "ENOENT" || code === "ENOTDIR") throw new EvidenceMissing(`no file at ${path}`);
      // Something else took its place: the file that was hashed is not there.
      if (code === "EISDIR") throw new EvidenceMissing(`a folder, not the file, is at ${path}`);
      throw error;
    }
    return { sha256: hash.digest("hex"), sizeBytes };
  }
}
