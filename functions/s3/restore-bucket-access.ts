import { DeleteBucketPolicyCommand, DeletePublicAccessBlockCommand, PutBucketAclCommand, PutBucketPolicyCommand, PutPublicAccessBlockCommand, S3Client } from "@aws-sdk/client-s3";
import { aws } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { canonicalJson } from "../contract/digest.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import {
  accessControlPolicy,
  bucketAcl,
  bucketPolicy,
  bucketPublicAccessBlock,
  fromPublicAccessBlock,
  sameAcl,
  samePublicAccessBlock,
  type BucketAcl,
  type PublicAccessBlock,
} from "./bucket-access.js";
import contract from "./restore-bucket-access.contract.js";

type Part = "public-access-block" | "acl" | "policy";

interface Restore {
  readonly bucketName: string;
  readonly acl?: BucketAcl;
  readonly policy?: string | null;
  readonly publicAccessBlock?: PublicAccessBlock | null;
}

interface Step {
  readonly part: Part;
  readonly change: Change;
  readonly apply: () => Promise<unknown>;
}

/** S3 may reformat a stored policy; two policies are the same when their JSON is. */
function samePolicy(a: string | undefined, b: string | null): boolean {
  if (a === undefined || b === null) return a === undefined && b === null;
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return a === b;
  }
}

/**
 * Only what differs from the record is put back, in this order: the public-access block first,
 * because while BlockPublicPolicy / BlockPublicAcls are on S3 refuses a public policy or ACL.
 */
async function steps(input: Restore, ctx: TaskContext): Promise<Step[]> {
  const { bucketName } = input;
  const s3 = ctx.aws(S3Client);
  const out: Step[] = [];
  if (input.publicAccessBlock !== undefined) {
    const wanted = input.publicAccessBlock;
    const current = await bucketPublicAccessBlock(bucketName, ctx);
    if (!samePublicAccessBlock(current, wanted)) {
      out.push(
        wanted === null
          ? { part: "public-access-block", change: { resource: bucketName, action: "DeletePublicAccessBlock", before: current, after: null }, apply: () => aws(`DeletePublicAccessBlock ${bucketName}`, () => s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucketName }))) }
          : { part: "public-access-block", change: { resource: bucketName, action: "PutPublicAccessBlock", before: current, after: wanted }, apply: () => aws(`PutPublicAccessBlock ${bucketName}`, () => s3.send(new PutPublicAccessBlockCommand({ Bucket: bucketName, PublicAccessBlockConfiguration: fromPublicAccessBlock(wanted) }))) },
      );
    }
  }
  if (input.acl !== undefined) {
    const wanted = input.acl;
    const current = await bucketAcl(bucketName, ctx);
    if (!sameAcl(current, wanted)) {
      out.push({ part: "acl", change: { resource: bucketName, action: "PutBucketAcl", before: current, after: wanted }, apply: () => aws(`PutBucketAcl ${bucketName}`, () => s3.send(new PutBucketAclCommand({ Bucket: bucketName, AccessControlPolicy: accessControlPolicy(wanted) }))) });
    }
  }
  if (input.policy !== undefined) {
    const wanted = input.policy;
    const current = await bucketPolicy(bucketName, ctx);
    if (!samePolicy(current, wanted)) {
      out.push(
        wanted === null
          ? { part: "policy", change: { resource: bucketName, action: "DeleteBucketPolicy", before: current, after: null }, apply: () => aws(`DeleteBucketPolicy ${bucketName}`, () => s3.send(new DeleteBucketPolicyCommand({ Bucket: bucketName }))) }
          : { part: "policy", change: { resource: bucketName, action: "PutBucketPolicy", before: current ?? null, after: wanted }, apply: () => aws(`PutBucketPolicy ${bucketName}`, () => s3.send(new PutBucketPolicyCommand({ Bucket: bucketName, Policy: wanted }))) },
      );
    }
  }
  return out;
}

const given = (input: Restore): Part[] => [
  ...(input.publicAccessBlock !== undefined ? (["public-access-block"] as const) : []),
  ...(input.acl !== undefined ? (["acl"] as const) : []),
  ...(input.policy !== undefined ? (["policy"] as const) : []),
];

function summary(input: Restore, parts: readonly Part[], done: boolean): string {
  const same = given(input).filter((part) => !parts.includes(part));
  const head = parts.length === 0 ? `${input.bucketName} already ${done ? "had" : "has"} the recorded ${same.join(", ")}` : `${done ? "restored" : "restore"} the recorded ${parts.join(", ")} of ${input.bucketName}`;
  return parts.length > 0 && same.length > 0 ? `${head} (${same.join(", ")} already as recorded)` : head;
}

/** The delete flags and null mean the same; null only survives when the task is called directly. */
function normalised(input: Restore & { deletePolicy?: true | undefined; deletePublicAccessBlock?: true | undefined }): Restore {
  return {
    bucketName: input.bucketName,
    ...(input.acl !== undefined ? { acl: input.acl } : {}),
    ...(input.deletePolicy ? { policy: null } : input.policy !== undefined ? { policy: input.policy } : {}),
    ...(input.deletePublicAccessBlock ? { publicAccessBlock: null } : input.publicAccessBlock !== undefined ? { publicAccessBlock: input.publicAccessBlock } : {}),
  };
}

export default implementTask(contract, {
  async plan(raw, ctx) {
    const input = normalised(raw);
    const planned = await steps(input, ctx);
    return { changes: planned.map((s) => s.change), summary: summary(input, planned.map((s) => s.part), false) };
  },

  // Not guarded by the exempt tag: this puts back the owner's own settings that irflow changed, and
  // the runbook asks the responder to tag a bucket exempt when they restore it.
  async run(raw, ctx) {
    const input = normalised(raw);
    const planned = await steps(input, ctx);
    for (const step of planned) await step.apply();
    const restored = planned.map((s) => s.part);
    const reopened = restored.includes("acl") || restored.includes("policy");
    return {
      output: { bucketName: input.bucketName, restored },
      changes: planned.map((s) => s.change),
      // A restored block alone is closed again by s3.enable-block-public-access, not by this undo.
      ...(reopened ? { undo: { task: "s3.make-bucket-private", input: { bucketName: input.bucketName } } } : {}),
      summary: restored.length === 0 ? `${summary(input, restored, true)}; nothing changed` : summary(input, restored, true),
    };
  },
});
