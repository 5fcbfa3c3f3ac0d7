import { CreateSnapshotsCommand, CreateTagsCommand, DescribeInstancesCommand, DescribeSnapshotsCommand, EC2Client, type Snapshot } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/snapshot-volumes.contract.js";
import task from "../../../functions/ec2/snapshot-volumes.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID } from "../../support/task-harness.js";
import { described, INSTANCE, instance, VOL_DATA, VOL_ROOT } from "./instance-fixtures.js";

const ec2 = mockClient(EC2Client);
const SNAP_ROOT = "snap-0123456789abcdef0";
const SNAP_DATA = "snap-0123456789abcdef1";
const STEP = "contain/test-step";
const STARTED = new Date("2026-11-24T11:59:00.000Z");

function existing(volumeId: string, snapshotId: string, extra: Partial<Snapshot> = {}, sourceTagged = true): Snapshot {
  return {
    SnapshotId: snapshotId,
    VolumeId: volumeId,
    State: "pending",
    StartTime: STARTED,
    VolumeSize: 8,
    Tags: [{ Key: "irflow:incident", Value: INCIDENT_ID }, { Key: "irflow:step", Value: STEP }, ...(sourceTagged ? [{ Key: "irflow:source-volume", Value: volumeId }] : [])],
    ...extra,
  };
}

describe("ec2.snapshot-volumes", () => {
  beforeEach(() => {
    ec2.reset();
    ec2.on(DescribeInstancesCommand).resolves(described(instance()));
    ec2.on(CreateTagsCommand).resolves({});
  });
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("takes every volume in one CreateSnapshots, tags each with its source, and records the evidence", async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: SNAP_ROOT, VolumeId: VOL_ROOT, StartTime: STARTED, VolumeSize: 8 },
        { SnapshotId: SNAP_DATA, VolumeId: VOL_DATA, StartTime: new Date("2026-11-24T11:59:01.000Z"), VolumeSize: 100 },
      ],
    });
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE });
    expect(output).toEqual({
      instanceId: INSTANCE,
      snapshots: [
        { volumeId: VOL_ROOT, snapshotId: SNAP_ROOT, deviceName: "/dev/xvda" },
        { volumeId: VOL_DATA, snapshotId: SNAP_DATA, deviceName: "/dev/sdf" },
      ],
      startedAt: STARTED.toISOString(),
    });
    expect(ec2.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toMatchObject({
      OwnerIds: ["self"],
      Filters: [
        { Name: "tag:irflow:incident", Values: [INCIDENT_ID] },
        { Name: "tag:irflow:step", Values: [STEP] },
        { Name: "volume-id", Values: [VOL_ROOT, VOL_DATA] },
      ],
    });
    const create = ec2.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input;
    expect(create.InstanceSpecification).toEqual({ InstanceId: INSTANCE });
    expect(create.TagSpecifications).toEqual([
      {
        ResourceType: "snapshot",
        Tags: [
          { Key: "irflow:incident", Value: INCIDENT_ID },
          { Key: "irflow:step", Value: STEP },
          { Key: "irflow:source-instance", Value: INSTANCE },
        ],
      },
    ]);
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([
      { Resources: [SNAP_ROOT], Tags: [{ Key: "irflow:source-volume", Value: VOL_ROOT }] },
      { Resources: [SNAP_DATA], Tags: [{ Key: "irflow:source-volume", Value: VOL_DATA }] },
    ]);
    const [record] = h.journal.all();
    expect(record!.evidence).toEqual([
      { kind: "ec2-instance-disk", location: SNAP_ROOT, sizeBytes: 8 * 1024 ** 3, description: expect.stringContaining(VOL_ROOT) },
      { kind: "ec2-instance-disk", location: SNAP_DATA, sizeBytes: 100 * 1024 ** 3, description: expect.stringContaining(VOL_DATA) },
    ]);
    expect(record!.changes).toEqual([
      { resource: SNAP_ROOT, action: "CreateSnapshots", before: null, after: { volumeId: VOL_ROOT, deviceName: "/dev/xvda" } },
      { resource: SNAP_DATA, action: "CreateSnapshots", before: null, after: { volumeId: VOL_DATA, deviceName: "/dev/sdf" } },
    ]);
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: SNAP_ROOT, VolumeId: VOL_ROOT }, { SnapshotId: SNAP_DATA, VolumeId: VOL_DATA }] });
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE });
    const calls = ec2.calls().length;
    await expect(h.run({ instanceId: INSTANCE })).resolves.toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
    expect(ec2.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
  });

  it("takes nothing new, and says so, when this incident and step already snapshotted every volume", async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [existing(VOL_ROOT, SNAP_ROOT), existing(VOL_DATA, SNAP_DATA, {}, false)] });
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE });
    expect(output.snapshots).toEqual([
      { volumeId: VOL_ROOT, snapshotId: SNAP_ROOT, deviceName: "/dev/xvda" },
      { volumeId: VOL_DATA, snapshotId: SNAP_DATA, deviceName: "/dev/sdf" },
    ]);
    expect(ec2.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
    // The source-volume tag a failed run never wrote is written now, and only that one.
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input.Resources)).toEqual([[SNAP_DATA]]);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([]);
    expect(record!.evidence).toHaveLength(2);
    expect(record!.summary).toMatch(/already snapshotted/);
  });

  it("takes only the volumes still missing, excluding the ones already taken", async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [existing(VOL_ROOT, SNAP_ROOT), existing(VOL_DATA, "snap-0eeeeeeeeeeeeeee0", { State: "error" })] });
    ec2.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: SNAP_DATA, VolumeId: VOL_DATA }] });
    const output = await harness(task).run({ instanceId: INSTANCE });
    expect(ec2.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input.InstanceSpecification).toEqual({ InstanceId: INSTANCE, ExcludeBootVolume: true });
    expect(output.snapshots).toEqual([
      { volumeId: VOL_ROOT, snapshotId: SNAP_ROOT, deviceName: "/dev/xvda" },
      { volumeId: VOL_DATA, snapshotId: SNAP_DATA, deviceName: "/dev/sdf" },
    ]);
  });

  it("refuses more volumes than the step's blast radius before taking any", async () => {
    await expect(harness(task).run({ instanceId: INSTANCE }, { maxChanges: 1 })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "blast-radius" });
    expect(ec2.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
  });

  it("fails clearly for an instance with no EBS volumes", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ state: "terminated", volumes: [] })));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining("no EBS volumes") });
  });

  it("maps throttling to Transient", async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotsCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
  });

  it("treats the per-volume snapshot rate limit as Transient too", async () => {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotsCommand).rejects(awsError("SnapshotCreationPerVolumeRateExceeded", 400));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient", detail: "SnapshotCreationPerVolumeRateExceeded" });
  });

  it("reports a missing instance as NotFound with its id", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("InvalidInstanceID.NotFound"));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: "vol-0123456789abcdef0" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("snapshots an exempt instance too: evidence changes nothing about it", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ tags: { "irflow:exempt": "true" } })));
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: SNAP_ROOT, VolumeId: VOL_ROOT }, { SnapshotId: SNAP_DATA, VolumeId: VOL_DATA }] });
    await expect(harness(task).run({ instanceId: INSTANCE })).resolves.toMatchObject({ instanceId: INSTANCE });
  });
});
