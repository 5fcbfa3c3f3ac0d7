import { CreateSnapshotsCommand, CreateTagsCommand, DescribeSnapshotsCommand, type Snapshot } from "@aws-sdk/client-ec2";
import type { Change, Evidence } from "../contract/changes.js";
import { aws } from "../contract/aws-errors.js";
import { isTaskError, preconditionFailed, transient } from "../contract/errors.js";
import { assertWithinBlastRadius } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { allPages, describeInstance, ebsVolumes, ec2, stateOf, type EbsVolume } from "./instance-lookup.js";
import contract from "./snapshot-volumes.contract.js";

const INCIDENT_TAG = "irflow:incident";
const STEP_TAG = "irflow:step";
const SOURCE_VOLUME_TAG = "irflow:source-volume";
const GIB = 1024 ** 3;

interface Taken {
  readonly volume: EbsVolume;
  readonly snapshotId: string;
  readonly startTime?: Date | undefined;
  readonly sizeGib?: number | undefined;
  readonly sourceTagged: boolean;
}

/**
 * Snapshots this incident and step already took (a retry, or a run that failed after
 * CreateSnapshots), by volume. A snapshot in state error is no evidence and is taken again.
 */
async function existingSnapshots(volumes: readonly EbsVolume[], ctx: TaskContext): Promise<Map<string, Snapshot>> {
  if (!ctx.incidentId) return new Map();
  const snapshots = await allPages(`DescribeSnapshots ${ctx.incidentId} ${ctx.stepId}`, ctx, async (token) => {
    const page = await aws(`DescribeSnapshots tagged ${ctx.incidentId} ${ctx.stepId}`, () =>
      ec2(ctx).send(
        new DescribeSnapshotsCommand({
          OwnerIds: ["self"],
          Filters: [
            { Name: `tag:${INCIDENT_TAG}`, Values: [ctx.incidentId] },
            { Name: `tag:${STEP_TAG}`, Values: [ctx.stepId] },
            { Name: "volume-id", Values: volumes.map((v) => v.volumeId) },
          ],
          MaxResults: 1000,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    return { items: page.Snapshots ?? [], next: page.NextToken };
  });
  const byVolume = new Map<string, Snapshot>();
  for (const snapshot of snapshots) {
    if (snapshot.VolumeId && snapshot.SnapshotId && snapshot.State !== "error" && !byVolume.has(snapshot.VolumeId)) byVolume.set(snapshot.VolumeId, snapshot);
  }
  return byVolume;
}

/**
 * EC2 limits snapshots per volume per time window (SnapshotCreationPerVolumeRateExceeded); the
 * shared error mapping does not know that code and would call it PreconditionFailed, but waiting
 * is all it takes.
 */
async function retryableRate<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await aws(what, call);
  } catch (error) {
    if (isTaskError(error) && error.detail === "SnapshotCreationPerVolumeRateExceeded") throw transient(error.message, error.detail, error);
    throw error;
  }
}

/** One CreateSnapshots call for all volumes not yet taken: one instant, crash-consistent across them. */
async function createSnapshots(instanceId: string, rootDevice: string | undefined, missing: readonly EbsVolume[], all: readonly EbsVolume[], ctx: TaskContext): Promise<Taken[]> {
  const wanted = new Set(missing.map((v) => v.volumeId));
  const root = all.find((v) => v.deviceName === rootDevice);
  const excludeData = all.filter((v) => v !== root && !wanted.has(v.volumeId)).map((v) => v.volumeId);
  const result = await retryableRate(`CreateSnapshots ${instanceId}`, () =>
    ec2(ctx).send(
      new CreateSnapshotsCommand({
        InstanceSpecification: {
          InstanceId: instanceId,
          ...(root && !wanted.has(root.volumeId) ? { ExcludeBootVolume: true } : {}),
          ...(excludeData.length > 0 ? { ExcludeDataVolumeIds: excludeData } : {}),
        },
        Description: `irflow ${ctx.incidentId || "no incident"} ${ctx.stepId}: evidence of ${instanceId}`,
        TagSpecifications: [
          {
            ResourceType: "snapshot",
            Tags: [
              { Key: INCIDENT_TAG, Value: ctx.incidentId },
              { Key: STEP_TAG, Value: ctx.stepId },
              { Key: "irflow:source-instance", Value: instanceId },
            ],
          },
        ],
      }),
    ),
  );
  return (result.Snapshots ?? []).flatMap((s): Taken[] => {
    const volume = missing.find((v) => v.volumeId === s.VolumeId);
    return volume && s.SnapshotId ? [{ volume, snapshotId: s.SnapshotId, startTime: s.StartTime, sizeGib: s.VolumeSize, sourceTagged: false }] : [];
  });
}

/** CreateSnapshots tags every snapshot alike; the source volume differs per snapshot, so it is tagged after. */
async function tagSources(taken: readonly Taken[], ctx: TaskContext): Promise<void> {
  for (const snapshot of taken.filter((t) => !t.sourceTagged)) {
    await aws(`CreateTags ${snapshot.snapshotId}`, () =>
      ec2(ctx).send(new CreateTagsCommand({ Resources: [snapshot.snapshotId], Tags: [{ Key: SOURCE_VOLUME_TAG, Value: snapshot.volume.volumeId }] })),
    );
  }
}

function evidenceOf(instanceId: string, taken: Taken, ctx: TaskContext): Evidence {
  return {
    kind: "ec2-instance-disk",
    location: taken.snapshotId,
    ...(taken.sizeGib !== undefined ? { sizeBytes: taken.sizeGib * GIB } : {}),
    description: `EBS snapshot of ${taken.volume.volumeId} (${taken.volume.deviceName}) of ${instanceId}, crash-consistent with the instance's other volumes, incident ${ctx.incidentId || "none"}`,
  };
}

export default implementTask(contract, {
  async run({ instanceId }, ctx) {
    const instance = await describeInstance(instanceId, ctx);
    const state = stateOf(instance);
    const volumes = ebsVolumes(instance);
    if (volumes.length === 0) throw preconditionFailed(`instance ${instanceId} (${state}) has no EBS volumes to snapshot`, "volumes");
    assertWithinBlastRadius(volumes.length, `snapshotting the volumes of ${instanceId}`, ctx);

    const existing = await existingSnapshots(volumes, ctx);
    const reused: Taken[] = volumes.flatMap((volume) => {
      const s = existing.get(volume.volumeId);
      return s?.SnapshotId
        ? [{ volume, snapshotId: s.SnapshotId, startTime: s.StartTime, sizeGib: s.VolumeSize, sourceTagged: (s.Tags ?? []).some((t) => t.Key === SOURCE_VOLUME_TAG && t.Value === volume.volumeId) }]
        : [];
    });
    const missing = volumes.filter((v) => !existing.has(v.volumeId));
    const created = missing.length > 0 ? await createSnapshots(instanceId, instance.RootDeviceName, missing, volumes, ctx) : [];
    await tagSources([...reused, ...created], ctx);

    const taken = [...reused, ...created].sort((a, b) => volumes.indexOf(a.volume) - volumes.indexOf(b.volume));
    const uncovered = volumes.filter((v) => !taken.some((t) => t.volume.volumeId === v.volumeId));
    if (uncovered.length > 0) ctx.log.warn("CreateSnapshots returned no snapshot for some volumes", { volumes: uncovered.map((v) => v.volumeId) });
    if (taken.length === 0) throw preconditionFailed(`CreateSnapshots took no snapshot of ${instanceId}`, "volumes");
    const starts = taken.flatMap((t) => (t.startTime ? [t.startTime.getTime()] : []));
    const startedAt = new Date(starts.length > 0 ? Math.min(...starts) : ctx.clock.now().getTime()).toISOString();
    const changes: Change[] = created.map((t) => ({ resource: t.snapshotId, action: "CreateSnapshots", before: null, after: { volumeId: t.volume.volumeId, deviceName: t.volume.deviceName } }));

    return {
      output: { instanceId, snapshots: taken.map((t) => ({ volumeId: t.volume.volumeId, snapshotId: t.snapshotId, deviceName: t.volume.deviceName })), startedAt },
      changes,
      evidence: taken.map((t) => evidenceOf(instanceId, t, ctx)),
      summary:
        created.length === 0
          ? `the volumes of ${instanceId} were already snapshotted for this incident and step (${taken.map((t) => t.snapshotId).join(", ")}); nothing new taken`
          : `snapshotted ${created.length} volume(s) of ${instanceId}: ${created.map((t) => `${t.volume.volumeId} → ${t.snapshotId}`).join(", ")}${reused.length > 0 ? `; ${reused.length} already taken` : ""}`,
    };
  },
});
