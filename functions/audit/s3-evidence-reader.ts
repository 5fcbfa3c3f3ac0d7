import { createHash } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import { GetObjectCommand, NoSuchKey } from "@aws-sdk/client-s3";
import { EvidenceMissing, type EvidenceContent, type EvidenceReader } from "./evidence-reader.js";

const S3_LOCATION = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/([^?]+)(?:\?versionId=([^&]+))?$/;

/** `s3://bucket/key[?versionId=v]` (as tasks record evidence) → its parts; anything else is not an S3 location. */
export function parseS3Location(location: string): { bucket: string; key: string; versionId?: string } | undefined {
  const match = S3_LOCATION.exec(location);
  if (!match) return undefined;
  return { bucket: match[1]!, key: match[2]!, ...(match[3] ? { versionId: decodeURIComponent(match[3]) } : {}) };
}

/**
 * Evidence in S3 (memory images, archived logs), hashed as it streams. Locally the same code reads
 * the simulated account's S3; `buckets` limits it to the buckets this reader may touch.
 */
export class S3EvidenceReader implements EvidenceReader {
  constructor(
    private readonly s3: S3Client,
    private readonly buckets?: ReadonlySet<string>,
  ) {}

  async read(location: string): Promise<EvidenceContent | undefined> {
    const target = parseS3Location(location);
    if (!target || (this.buckets && !this.buckets.has(target.bucket))) return undefined;
    let response;
    try {
      response = await this.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key, ...(target.versionId ? { VersionId: target.versionId } : {}) }));
    } catch (error) {
      if (error instanceof NoSuchKey || (error instanceof Error && (error.name === "NoSuchKey" || error.name === "NotFound" || error.name === "NoSuchBucket"))) {
        throw new EvidenceMissing(`${location} is gone (${error.name})`);
      }
      throw error;
    }
    const hash = createHash("sha256");
    let sizeBytes = 0;
    const body = response.Body;
    if (body) {
      const bytes = await body.transformToByteArray();
      hash.update(bytes);
      sizeBytes = bytes.byteLength;
    }
    return { sha256: hash.digest("hex"), sizeBytes };
  }
}
