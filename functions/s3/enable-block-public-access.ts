import { PutPublicAccessBlockCommand, S3Client } from "@aws-sdk/client-s3";
import { aws } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { ALL_BLOCKED, bucketPublicAccessBlock, bucketTags, fromPublicAccessBlock, samePublicAccessBlock, type PublicAccessBlock } from "./bucket-access.js";
import contract from "./enable-block-public-access.contract.js";

async function assess(bucketName: string, ctx: TaskContext): Promise<{ previous: PublicAccessBlock | null; changes: Change[] }> {
  assertNotExempt(bucketName, await bucketTags(bucketName, ctx), ctx);
  const previous = await bucketPublicAccessBlock(bucketName, ctx);
  const changes: Change[] = samePublicAccessBlock(previous, ALL_BLOCKED) ? [] : [{ resource: bucketName, action: "PutPublicAccessBlock", before: previous, after: ALL_BLOCKED }];
  return { previous, changes };
}

function describeBlock(block: PublicAccessBlock | null): string {
  if (block === null) return "none";
  const on = Object.entries(block).filter(([, value]) => value).map(([key]) => key);
  return on.length === 0 ? "all off" : on.join(", ");
}

export default implementTask(contract, {
  async plan({ bucketName }, ctx) {
    const { previous, changes } = await assess(bucketName, ctx);
    return { changes, summary: changes.length === 0 ? `${bucketName} already blocks all public access` : `turn on all four public-access block settings of ${bucketName} (now: ${describeBlock(previous)})` };
  },

  async run({ bucketName }, ctx) {
    const { previous, changes } = await assess(bucketName, ctx);
    if (changes.length > 0) {
      await aws(`PutPublicAccessBlock ${bucketName}`, () =>
        ctx.aws(S3Client).send(new PutPublicAccessBlockCommand({ Bucket: bucketName, PublicAccessBlockConfiguration: fromPublicAccessBlock(ALL_BLOCKED) })),
      );
    }
    return {
      output: { bucketName, previousPublicAccessBlock: previous },
      changes,
      // No block of its own is put back by deleting the block, not by turning all four off. The
      // executor drops null inputs, so the undo says it with deletePublicAccessBlock.
      ...(changes.length > 0 ? { undo: { task: "s3.restore-bucket-access", input: previous === null ? { bucketName, deletePublicAccessBlock: true } : { bucketName, publicAccessBlock: previous } } } : {}),
      summary: changes.length === 0 ? `${bucketName} already blocked all public access; nothing changed` : `turned on all four public-access block settings of ${bucketName} (was: ${describeBlock(previous)})`,
    };
  },
});
