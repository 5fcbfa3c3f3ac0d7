import {
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  type _InstanceType,
  type Instance,
  type RunInstancesCommandInput,
  type Tag,
} from "@aws-sdk/client-ec2";
import type * as z from "zod";
import { aws, dryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { sha256Hex } from "../contract/digest.js";
import { notFound, preconditionFailed } from "../contract/errors.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { allPages, describeInstance, ec2, networkInterfaces, tagsOf, undoTask } from "./instance-lookup.js";
import contract from "./launch-replacement-instance.contract.js";

type Input = z.output<typeof contract.input>;
type Output = z.input<typeof contract.output>;
const UNDO = undoTask(contract);
const REPLACES_TAG = "irflow:replaces";
const INCIDENT_TAG = "irflow:incident";
const STEP_TAG = "irflow:step";
// EC2 allows 50 tags per resource; irflow adds three of its own.
const MAX_COPIED_TAGS = 47;

interface Launch {
  readonly request: RunInstancesCommandInput;
  readonly imageId: string;
  readonly subnetId: string;
  readonly instanceType: string;
  readonly instanceProfileArn?: string | undefined;
}

async function assertImageAvailable(imageId: string, ctx: TaskContext): Promise<void> {
  const result = await aws(`DescribeImages ${imageId}`, () => ec2(ctx).send(new DescribeImagesCommand({ ImageIds: [imageId] })));
  const image = result.Images?.find((i) => i.ImageId === imageId);
  if (!image) throw notFound(`image ${imageId} does not exist (or is no longer shared with this account)`, imageId);
  if (image.State !== "available") throw preconditionFailed(`image ${imageId} is ${image.State ?? "not available"}`, "image-state");
}

/** The old instance's user data, still base64 as RunInstances wants it. */
async function userDataOf(instanceId: string, ctx: TaskContext): Promise<string | undefined> {
  const result = await aws(`DescribeInstanceAttribute userData ${instanceId}`, () =>
    ec2(ctx).send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "userData" })),
  );
  return result.UserData?.Value || undefined;
}

/** The ownership tags (Name, owner, environment, criticality), not irflow's or AWS's own. */
function copiedTags(old: Instance): Tag[] {
  return Object.entries(tagsOf(old))
    .filter(([key]) => !key.startsWith("aws:") && !key.startsWith("irflow:"))
    .slice(0, MAX_COPIED_TAGS)
    .map(([Key, Value]) => ({ Key, Value }));
}

function clientToken(instanceId: string, ctx: TaskContext): string {
  // RunInstances with the same token returns the same instance instead of launching another.
  return sha256Hex(`irflow-replacement#${ctx.incidentId || ctx.executionId}#${ctx.stepId}#${ctx.item ?? ""}#${instanceId}`).slice(0, 64);
}

async function launchFor(input: Input, old: Instance, ctx: TaskContext): Promise<Launch> {
  const subnetId = old.SubnetId;
  if (!subnetId) throw preconditionFailed(`instance ${input.instanceId} has no subnet (${old.State?.Name ?? "unknown state"}); launch the replacement by hand`, "subnet");
  const imageId = input.amiId ?? old.ImageId;
  if (!imageId) throw preconditionFailed(`instance ${input.instanceId} reports no AMI; pass amiId`, "amiId");
  const instanceType = input.instanceType ?? old.InstanceType;
  if (!instanceType) throw preconditionFailed(`instance ${input.instanceId} reports no instance type; pass instanceType`, "instanceType");
  await assertImageAvailable(imageId, ctx);
  const userData = input.copyUserData ? await userDataOf(input.instanceId, ctx) : undefined;
  const instanceProfileArn = old.IamInstanceProfile?.Arn;
  const tags: Tag[] = [
    ...copiedTags(old),
    { Key: INCIDENT_TAG, Value: ctx.incidentId },
    { Key: STEP_TAG, Value: ctx.stepId },
    { Key: REPLACES_TAG, Value: input.instanceId },
  ];
  const request: RunInstancesCommandInput = {
    ImageId: imageId,
    InstanceType: instanceType as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    SubnetId: subnetId,
    SecurityGroupIds: [...input.securityGroupIds],
    ...(instanceProfileArn ? { IamInstanceProfile: { Arn: instanceProfileArn } } : {}),
    // No key pair: it may be what the attacker holds. IMDSv2 only: an SSRF cannot read the role.
    MetadataOptions: {
      HttpTokens: "required",
      HttpEndpoint: "enabled",
      ...(old.MetadataOptions?.HttpPutResponseHopLimit ? { HttpPutResponseHopLimit: old.MetadataOptions.HttpPutResponseHopLimit } : {}),
    },
    ...(old.Placement?.Tenancy === "dedicated" ? { Placement: { Tenancy: "dedicated" } } : {}),
    ...(old.Monitoring?.State === "enabled" ? { Monitoring: { Enabled: true } } : {}),
    ...(old.EbsOptimized ? { EbsOptimized: true } : {}),
    ...(userData ? { UserData: userData } : {}),
    TagSpecifications: [
      { ResourceType: "instance", Tags: tags },
      { ResourceType: "volume", Tags: tags },
    ],
    ClientToken: clientToken(input.instanceId, ctx),
  };
  return { request, imageId, subnetId, instanceType, instanceProfileArn };
}

/** A replacement this incident's step launched already (a retry, or a run that failed after RunInstances). */
async function existingReplacement(instanceId: string, ctx: TaskContext): Promise<Instance | undefined> {
  if (!ctx.incidentId) return undefined;
  const found = await allPages(`DescribeInstances replacing ${instanceId}`, ctx, async (token) => {
    const page = await aws(`DescribeInstances replacing ${instanceId}`, () =>
      ec2(ctx).send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${REPLACES_TAG}`, Values: [instanceId] },
            { Name: `tag:${INCIDENT_TAG}`, Values: [ctx.incidentId] },
            { Name: `tag:${STEP_TAG}`, Values: [ctx.stepId] },
            { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
          ],
          MaxResults: 100,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    return { items: (page.Reservations ?? []).flatMap((r) => r.Instances ?? []), next: page.NextToken };
  });
  return found.find((i) => i.InstanceId);
}

function outputOf(replacement: Instance, replacesInstanceId: string, fallback: { imageId: string; subnetId: string; securityGroupIds: readonly string[]; instanceProfileArn?: string | undefined }): Output {
  const primaryGroups = networkInterfaces(replacement).find((n) => n.primary)?.groupIds ?? [];
  const profile = replacement.IamInstanceProfile?.Arn ?? fallback.instanceProfileArn;
  return {
    instanceId: replacement.InstanceId!,
    replacesInstanceId,
    imageId: replacement.ImageId ?? fallback.imageId,
    subnetId: replacement.SubnetId ?? fallback.subnetId,
    securityGroupIds: primaryGroups.length > 0 ? [...primaryGroups] : [...fallback.securityGroupIds],
    ...(profile ? { instanceProfileArn: profile } : {}),
    ...(replacement.PrivateIpAddress ? { privateIp: replacement.PrivateIpAddress } : {}),
  };
}

function launchChange(output: Output | undefined, launch: Launch, input: Input): Change {
  return {
    resource: output?.instanceId ?? `replacement of ${input.instanceId}`,
    action: "RunInstances",
    before: null,
    after: {
      replaces: input.instanceId,
      imageId: launch.imageId,
      instanceType: launch.instanceType,
      subnetId: launch.subnetId,
      securityGroupIds: [...input.securityGroupIds],
      instanceProfileArn: launch.instanceProfileArn ?? null,
      httpTokens: "required",
      keyPair: null,
      userData: launch.request.UserData ? "copied" : "none",
    },
  };
}

export default implementTask(contract, {
  async plan(input, ctx) {
    const existing = await existingReplacement(input.instanceId, ctx);
    if (existing) return { changes: [], summary: `${existing.InstanceId ?? "?"} already replaces ${input.instanceId} for this incident and step` };
    const old = await describeInstance(input.instanceId, ctx);
    const launch = await launchFor(input, old, ctx);
    await dryRun(`RunInstances replacing ${input.instanceId}`, () => ec2(ctx).send(new RunInstancesCommand({ ...launch.request, DryRun: true })));
    return {
      changes: [launchChange(undefined, launch, input)],
      summary: `launch a ${launch.instanceType} from ${launch.imageId} in ${launch.subnetId} with ${input.securityGroupIds.join(", ")}${launch.instanceProfileArn ? ` and ${launch.instanceProfileArn}` : ""}, IMDSv2 only, no key pair, ${launch.request.UserData ? "with" : "without"} the old user data, to replace ${input.instanceId}`,
    };
  },

  async run(input, ctx) {
    const existing = await existingReplacement(input.instanceId, ctx);
    const old = existing ? undefined : await describeInstance(input.instanceId, ctx);
    if (existing) {
      const output = outputOf(existing, input.instanceId, { imageId: existing.ImageId ?? input.amiId ?? "", subnetId: existing.SubnetId ?? "", securityGroupIds: input.securityGroupIds });
      return {
        output,
        changes: [],
        undo: { task: UNDO, input: { instanceId: output.instanceId } },
        summary: `${output.instanceId} already replaced ${input.instanceId} for this incident and step; nothing launched`,
      };
    }
    const launch = await launchFor(input, old!, ctx);
    const result = await aws(`RunInstances replacing ${input.instanceId}`, () => ec2(ctx).send(new RunInstancesCommand(launch.request)));
    const launched = result.Instances?.[0];
    if (!launched?.InstanceId) throw preconditionFailed(`RunInstances replacing ${input.instanceId} returned no instance`, "RunInstances");
    const output = outputOf(launched, input.instanceId, { imageId: launch.imageId, subnetId: launch.subnetId, securityGroupIds: input.securityGroupIds, instanceProfileArn: launch.instanceProfileArn });
    return {
      output,
      changes: [launchChange(output, launch, input)],
      undo: { task: UNDO, input: { instanceId: output.instanceId } },
      summary: `launched ${output.instanceId} (${launch.instanceType}, ${launch.imageId}, ${launch.subnetId}) to replace ${input.instanceId}`,
    };
  },
});
