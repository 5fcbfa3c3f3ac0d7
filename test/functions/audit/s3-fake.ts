import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { awsError } from "../../support/task-harness.js";

export interface StoredObject {
  readonly body: string;
  readonly input: Record<string, unknown>;
}

/**
 * An S3 bucket behind aws-sdk-client-mock: PutObject honours `IfNoneMatch: "*"` (412 when the key
 * exists), ListObjectsV2 pages `pageSize` keys at a time, GetObject streams the body back.
 */
export function fakeS3(pageSize = 2) {
  const mock = mockClient(S3Client);
  const objects = new Map<string, StoredObject>();
  const id = (bucket: string | undefined, key: string | undefined) => `${bucket ?? ""}/${key ?? ""}`;
  mock.on(PutObjectCommand).callsFake((input: Record<string, unknown>) => {
    const key = id(input.Bucket as string, input.Key as string);
    if (input.IfNoneMatch === "*" && objects.has(key)) return Promise.reject(awsError("PreconditionFailed", 412));
    objects.set(key, { body: String(input.Body), input });
    return Promise.resolve({ ETag: '"e"' });
  });
  mock.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix?: string; ContinuationToken?: string }) => {
    const keys = [...objects.keys()]
      .filter((k) => k.startsWith(`${input.Bucket}/${input.Prefix ?? ""}`))
      .map((k) => k.slice(input.Bucket.length + 1))
      .sort();
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + pageSize);
    const more = start + pageSize < keys.length;
    return Promise.resolve({ Contents: page.map((Key) => ({ Key })), IsTruncated: more, ...(more ? { NextContinuationToken: String(start + pageSize) } : {}) });
  });
  mock.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const object = objects.get(id(input.Bucket, input.Key));
    if (!object) return Promise.reject(awsError("NoSuchKey", 404));
    const bytes = Buffer.from(object.body);
    return Promise.resolve({ Body: { transformToString: () => Promise.resolve(object.body), transformToByteArray: () => Promise.resolve(new Uint8Array(bytes)) } } as unknown as GetObjectCommandOutput);
  });
  return { mock, objects, client: new S3Client({ region: "us-east-1" }) };
}
