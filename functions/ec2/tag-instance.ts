import { CreateTagsCommand, DescribeInstancesCommand, EC2Client, type Instance } from "@aws-sdk/client-ec2";
import { aws, dryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { notFound } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./tag-instance.contract.js";

async function describe(instanceId: string, ctx: TaskContext): Promise<Instance> {
  const result = await aws(`DescribeInstances ${instanceId}`, () => ctx.aws(EC2Client).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })));
  const instance = result.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw notFound(`instance ${instanceId} does not exist`, instanceId);
  return instance;
}

function currentTags(instance: Instance): Record<string, string> {
  return Object.fromEntries((instance.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ""]));
}

/** Only the tags whose value would actually change: a second run finds none. */
function tagChanges(instanceId: string, current: Record<string, string>, wanted: Record<string, string>): Change[] {
  return Object.entries(wanted)
    .filter(([key, value]) => current[key] !== value)
    .map(([key, value]) => ({ resource: instanceId, action: `CreateTags ${key}`, before: current[key] ?? null, after: value }));
}

export default implementTask(contract, {
  async plan({ instanceId, tags }, ctx) {
    const instance = await describe(instanceId, ctx);
    assertNotExempt(instanceId, instance.Tags, ctx);
    const changes = tagChanges(instanceId, currentTags(instance), tags);
    if (changes.length > 0) {
      const dryTags = changes.map((c) => ({ Key: c.action.slice("CreateTags ".length), Value: String(c.after) }));
      await dryRun(`CreateTags ${instanceId}`, () => ctx.aws(EC2Client).send(new CreateTagsCommand({ Resources: [instanceId], Tags: dryTags, DryRun: true })));
    }
    return { changes, summary: changes.length === 0 ? `${instanceId} already carries these tags` : `tag ${instanceId} with ${changes.map((c) => c.action.slice(11)).join(", ")}` };
  },

  async run({ instanceId, tags }, ctx) {
    const instance = await describe(instanceId, ctx);
    assertNotExempt(instanceId, instance.Tags, ctx);
    const current = currentTags(instance);
    const changes = tagChanges(instanceId, current, tags);
    if (changes.length > 0) {
      await aws(`CreateTags ${instanceId}`, () =>
        ctx.aws(EC2Client).send(new CreateTagsCommand({ Resources: [instanceId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })),
      );
    }
    const previousValues = Object.fromEntries(Object.keys(tags).filter((key) => key in current && current[key] !== tags[key]).map((key) => [key, current[key]!]));
    // Undo removes the keys this run added; overwritten values stay in the record (previousValues).
    const added = changes.map((c) => c.action.slice("CreateTags ".length)).filter((key) => !(key in current));
    return {
      output: { instanceId, tags, previousValues },
      changes,
      ...(added.length > 0 ? { undo: { task: "ec2.untag-instance", input: { instanceId, keys: added } } } : {}),
      summary: changes.length === 0 ? `${instanceId} already carried these tags; nothing changed` : `tagged ${instanceId}: ${changes.map((c) => `${c.action.slice(11)}=${String(c.after)}`).join(", ")}`,
    };
  },
});
