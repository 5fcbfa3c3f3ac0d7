import { DeleteTagsCommand } from "@aws-sdk/client-ec2";
import { TagValue } from "../contract/aws-ids.js";
import { aws, dryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { preconditionFailed } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { describeInstance, ec2, tagsOf, undoTask } from "./instance-lookup.js";
import contract from "./untag-instance.contract.js";

const UNDO = undoTask(contract);

/** The tags that are there to remove, with their values; keys already absent change nothing. */
async function present(instanceId: string, keys: readonly string[], ctx: TaskContext): Promise<Record<string, string>> {
  const instance = await describeInstance(instanceId, ctx);
  assertNotExempt(instanceId, instance.Tags, ctx);
  const tags = tagsOf(instance);
  const found = Object.fromEntries(keys.filter((key) => key in tags).map((key) => [key, tags[key]!]));
  // ec2.tag-instance, the undo, accepts only values in the portable tag alphabet; removing a tag it
  // could not put back would make this "reversible" task lose data.
  const unrestorable = Object.keys(found).filter((key) => !TagValue.safeParse(found[key]).success);
  if (unrestorable.length > 0) {
    throw preconditionFailed(`${instanceId}: the value of ${unrestorable.join(", ")} could not be restored by ${UNDO}; remove it by hand`, "tag-value");
  }
  return found;
}

function changesOf(instanceId: string, removed: Record<string, string>): Change[] {
  return Object.entries(removed).map(([key, value]) => ({ resource: instanceId, action: `DeleteTags ${key}`, before: value, after: null }));
}

function deleteTags(instanceId: string, removed: Record<string, string>, dry: boolean) {
  // Naming the value makes the delete conditional: a value changed since it was read is kept.
  return new DeleteTagsCommand({ Resources: [instanceId], Tags: Object.entries(removed).map(([Key, Value]) => ({ Key, Value })), ...(dry ? { DryRun: true } : {}) });
}

export default implementTask(contract, {
  async plan({ instanceId, keys }, ctx) {
    const removed = await present(instanceId, keys, ctx);
    if (Object.keys(removed).length > 0) await dryRun(`DeleteTags ${instanceId}`, () => ec2(ctx).send(deleteTags(instanceId, removed, true)));
    const changes = changesOf(instanceId, removed);
    return { changes, summary: changes.length === 0 ? `${instanceId} carries none of ${keys.join(", ")}; nothing to remove` : `remove ${Object.keys(removed).join(", ")} from ${instanceId}` };
  },

  async run({ instanceId, keys }, ctx) {
    const removed = await present(instanceId, keys, ctx);
    if (Object.keys(removed).length > 0) await aws(`DeleteTags ${instanceId}`, () => ec2(ctx).send(deleteTags(instanceId, removed, false)));
    return {
      output: { instanceId, removed },
      changes: changesOf(instanceId, removed),
      ...(Object.keys(removed).length > 0 ? { undo: { task: UNDO, input: { instanceId, tags: removed } } } : {}),
      summary:
        Object.keys(removed).length === 0
          ? `${instanceId} already carried none of ${keys.join(", ")}; nothing removed`
          : `removed ${Object.entries(removed).map(([k, v]) => `${k}=${v}`).join(", ")} from ${instanceId}`,
    };
  },
});
