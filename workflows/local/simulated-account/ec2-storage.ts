import type {
  CreateSnapshotsCommandInput,
  CreateSnapshotsCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeSnapshotsCommandInput,
  DescribeSnapshotsCommandOutput,
  DescribeVolumesCommandInput,
  DescribeVolumesCommandOutput,
  Image,
  Snapshot,
  Volume,
} from "@aws-sdk/client-ec2";
import { SimulationError } from "./errors.js";
import { assertWellFormed, dryRunOperation, ec2Error, type Ec2State, filterBy, type ImageState, invalidParameter, notFound, paginate, type SnapshotState, tagsMatchingFilter, type VolumeState } from "./ec2-state.js";
import { applyTagSpecifications } from "./ec2-tags.js";
import { read, write, type HandlerTable, type Output } from "./handlers.js";
import { tagListOrAbsent } from "./plain.js";

/** EBS volumes and snapshots, and the images instances launch from. */

function sdkVolume(volume: VolumeState): Volume {
  return {
    VolumeId: volume.volumeId,
    Size: volume.sizeGib,
    AvailabilityZone: volume.availabilityZone,
    State: volume.state,
    VolumeType: volume.volumeType as Volume["VolumeType"],
    Encrypted: volume.encrypted,
    CreateTime: new Date(volume.createTime),
    Attachments: volume.attachment
      ? [{ VolumeId: volume.volumeId, InstanceId: volume.attachment.instanceId, Device: volume.attachment.deviceName, State: "attached", DeleteOnTermination: volume.attachment.deleteOnTermination, AttachTime: new Date(volume.attachment.attachTime) }]
      : [],
    ...tagListOrAbsent(volume.tags),
  };
}

function sdkSnapshot(ec2: Ec2State, snapshot: SnapshotState): Snapshot {
  return {
    SnapshotId: snapshot.snapshotId,
    VolumeId: snapshot.volumeId,
    VolumeSize: snapshot.volumeSize,
    State: snapshot.state,
    Progress: snapshot.state === "completed" ? "100%" : "0%",
    StartTime: new Date(snapshot.startTime),
    Description: snapshot.description,
    OwnerId: ec2.ctx.accountId,
    Encrypted: snapshot.encrypted,
    StorageTier: "standard",
    ...tagListOrAbsent(snapshot.tags),
  };
}

function sdkImage(image: ImageState): Image {
  return {
    ImageId: image.imageId,
    Name: image.name,
    State: image.state as Image["State"],
    OwnerId: image.ownerId,
    RootDeviceName: image.rootDeviceName,
    RootDeviceType: "ebs",
    Architecture: "x86_64",
    ImageType: "machine",
    Public: false,
    ...(image.platform ? { Platform: "windows" as Image["Platform"], PlatformDetails: "Windows" } : { PlatformDetails: "Linux/UNIX" }),
    BlockDeviceMappings: [{ DeviceName: image.rootDeviceName, Ebs: { VolumeSize: image.rootVolumeSizeGib, DeleteOnTermination: true, VolumeType: "gp3" } }],
  };
}

function describeVolumes(ec2: Ec2State, input: DescribeVolumesCommandInput): Output<DescribeVolumesCommandOutput> {
  const candidates = input.VolumeIds?.length
    ? input.VolumeIds.map((id) => {
        assertWellFormed(id, "vol");
        const volume = ec2.volumes.get(id);
        if (!volume) throw notFound(id);
        return volume;
      })
    : [...ec2.volumes.values()];
  const matched = filterBy(candidates, input.Filters, ["volume-id", "attachment.instance-id", "attachment.delete-on-termination", "status", "availability-zone"], (v, name) => {
    const values: Readonly<Record<string, readonly string[]>> = {
      "volume-id": [v.volumeId],
      "attachment.instance-id": v.attachment ? [v.attachment.instanceId] : [],
      "attachment.delete-on-termination": v.attachment ? [String(v.attachment.deleteOnTermination)] : [],
      status: [v.state],
      "availability-zone": [v.availabilityZone],
    };
    return values[name] ?? tagsMatchingFilter(v.tags, name);
  });
  const { page, NextToken } = paginate(matched, input, { min: 5, max: 500 }, "DescribeVolumes");
  return { Volumes: page.map(sdkVolume), ...(NextToken ? { NextToken } : {}) };
}

function describeSnapshots(ec2: Ec2State, input: DescribeSnapshotsCommandInput): Output<DescribeSnapshotsCommandOutput> {
  if (input.SnapshotIds?.length && input.MaxResults !== undefined) throw ec2Error("InvalidParameterCombination", "The parameter snapshotSet cannot be used with the parameter maxResults");
  for (const owner of input.OwnerIds ?? []) {
    if (owner !== "self" && owner !== "amazon" && !/^\d{12}$/.test(owner)) throw invalidParameter(`Invalid owner id: ${owner}`);
  }
  ec2.advanceSnapshots();
  const owned = (input.OwnerIds ?? ["self"]).some((o) => o === "self" || o === ec2.ctx.accountId);
  const candidates = input.SnapshotIds?.length
    ? input.SnapshotIds.map((id) => {
        assertWellFormed(id, "snap");
        const snapshot = ec2.snapshots.get(id);
        if (!snapshot) throw notFound(id);
        return snapshot;
      })
    : owned
      ? [...ec2.snapshots.values()]
      : [];
  const matched = filterBy(candidates, input.Filters, ["snapshot-id", "volume-id", "status", "owner-id", "description", "start-time", "volume-size"], (s, name) => {
    const values: Readonly<Record<string, readonly string[]>> = {
      "snapshot-id": [s.snapshotId],
      "volume-id": [s.volumeId],
      status: [s.state],
      "owner-id": [ec2.ctx.accountId],
      description: [s.description],
      "start-time": [s.startTime.toISOString()],
      "volume-size": [String(s.volumeSize)],
    };
    return values[name] ?? tagsMatchingFilter(s.tags, name);
  });
  const { page, NextToken } = paginate(matched, input, { min: 5, max: 1000 }, "DescribeSnapshots");
  return { Snapshots: page.map((s) => sdkSnapshot(ec2, s)), ...(NextToken ? { NextToken } : {}) };
}

/** One snapshot per chosen volume of the instance, all started at one instant (crash-consistent). */
function createSnapshots(ec2: Ec2State, input: CreateSnapshotsCommandInput): Output<CreateSnapshotsCommandOutput> {
  const spec = input.InstanceSpecification;
  if (!spec?.InstanceId) throw ec2Error("MissingParameter", "The request must contain the parameter InstanceSpecification.InstanceId");
  const instance = ec2.instance(spec.InstanceId);
  for (const id of spec.ExcludeDataVolumeIds ?? []) assertWellFormed(id, "vol");
  const tags: Record<string, string> = {};
  applyTagSpecifications(input.TagSpecifications, { snapshot: tags }, "CreateSnapshots");
  if (input.CopyTagsFromSource !== undefined) throw new SimulationError("simulated EC2 does not model CreateSnapshots CopyTagsFromSource");
  if (input.DryRun) throw dryRunOperation();
  if (instance.state === "terminated" || instance.state === "shutting-down") throw ec2Error("IncorrectState", `The instance '${instance.instanceId}' is ${instance.state}.`);
  const attached = instance.volumeIds.map((id) => ec2.volumes.get(id)).filter((v): v is VolumeState => v?.attachment !== undefined);
  for (const id of spec.ExcludeDataVolumeIds ?? []) {
    const volume = attached.find((v) => v.volumeId === id);
    if (!volume) throw invalidParameter(`The volume ${id} is not attached to instance ${instance.instanceId}.`);
    if (volume.attachment?.deviceName === instance.rootDeviceName) throw invalidParameter(`The root volume ${id} cannot be excluded with ExcludeDataVolumeIds; use ExcludeBootVolume.`);
  }
  const chosen = attached.filter((v) => !(spec.ExcludeBootVolume && v.attachment?.deviceName === instance.rootDeviceName) && !(spec.ExcludeDataVolumeIds ?? []).includes(v.volumeId));
  if (chosen.length === 0) throw invalidParameter(`No volumes of ${instance.instanceId} are left to snapshot after the exclusions.`);
  const startTime = ec2.ctx.now();
  const created = chosen.map((volume): SnapshotState => {
    const snapshot: SnapshotState = {
      snapshotId: ec2.ctx.ids.ec2("snap"),
      volumeId: volume.volumeId,
      volumeSize: volume.sizeGib,
      state: "pending",
      pollsLeft: ec2.snapshotPolls,
      startTime,
      description: input.Description ?? "",
      encrypted: volume.encrypted,
      tags: { ...tags },
    };
    ec2.snapshots.set(snapshot.snapshotId, snapshot);
    return snapshot;
  });
  return {
    Snapshots: created.map((s) => ({
      SnapshotId: s.snapshotId,
      VolumeId: s.volumeId,
      VolumeSize: s.volumeSize,
      State: "pending",
      Progress: "",
      StartTime: new Date(s.startTime),
      Description: s.description,
      OwnerId: ec2.ctx.accountId,
      Encrypted: s.encrypted,
      ...tagListOrAbsent(s.tags),
    })),
  };
}

function describeImages(ec2: Ec2State, input: DescribeImagesCommandInput): Output<DescribeImagesCommandOutput> {
  const candidates = input.ImageIds?.length
    ? input.ImageIds.map((id) => {
        assertWellFormed(id, "ami");
        const image = ec2.images.get(id);
        if (!image) throw notFound(id);
        return image;
      })
    : [...ec2.images.values()].filter((i) => !input.Owners?.length || input.Owners.some((o) => o === "self" ? i.ownerId === ec2.ctx.accountId : o === i.ownerId));
  const matched = filterBy(candidates, input.Filters, ["image-id", "name", "state", "owner-id", "platform"], (image, name) => {
    const values: Readonly<Record<string, readonly string[]>> = {
      "image-id": [image.imageId],
      name: [image.name],
      state: [image.state],
      "owner-id": [image.ownerId],
      platform: image.platform ? [image.platform] : [],
    };
    return values[name] ?? [];
  });
  return { Images: matched.map(sdkImage) };
}

export function storageHandlers(ec2: Ec2State): HandlerTable {
  return {
    DescribeVolumes: read((input: DescribeVolumesCommandInput) => describeVolumes(ec2, input)),
    DescribeSnapshots: read((input: DescribeSnapshotsCommandInput) => describeSnapshots(ec2, input)),
    CreateSnapshots: write((input: CreateSnapshotsCommandInput) => createSnapshots(ec2, input)),
    DescribeImages: read((input: DescribeImagesCommandInput) => describeImages(ec2, input)),
  };
}
