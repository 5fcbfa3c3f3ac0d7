import type {
  DescribeInstanceAttributeCommandInput,
  DescribeInstanceAttributeCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  Instance,
  InstanceStateChange,
  ModifyInstanceAttributeCommandInput,
  ModifyInstanceAttributeCommandOutput,
  ModifyNetworkInterfaceAttributeCommandInput,
  ModifyNetworkInterfaceAttributeCommandOutput,
  Reservation,
  RunInstancesCommandInput,
  RunInstancesCommandOutput,
  StartInstancesCommandInput,
  StartInstancesCommandOutput,
  StopInstancesCommandInput,
  StopInstancesCommandOutput,
  TerminateInstancesCommandInput,
  TerminateInstancesCommandOutput,
} from "@aws-sdk/client-ec2";
import { SimulationError } from "./errors.js";
import { dryRunOperation, ec2Error, type Ec2State, type EniState, filterBy, type InstanceState, type InstanceStateName, invalidParameter, notFound, paginate, STATE_CODES, tagsMatchingFilter } from "./ec2-state.js";
import { applyTagSpecifications } from "./ec2-tags.js";
import { write, read, type HandlerTable, type Output } from "./handlers.js";
import { tagListOrAbsent } from "./plain.js";

/** EC2 instances: describe, attributes, launch, start, stop, terminate, and their interfaces' groups. */

const stateOf = (name: InstanceStateName) => ({ Code: STATE_CODES[name], Name: name });

export function sdkInstance(ec2: Ec2State, instance: InstanceState): Instance {
  const enis = instance.eniIds.map((id) => ec2.enis.get(id)).filter((e): e is EniState => e !== undefined);
  const primary = enis.find((e) => e.deviceIndex === 0);
  const groupRef = (id: string) => ({ GroupId: id, GroupName: ec2.groups.get(id)?.groupName ?? id });
  const profile = instance.iamInstanceProfileArn ? ec2.ctx.services().iam.instanceProfileByArn(instance.iamInstanceProfileArn) : undefined;
  return {
    InstanceId: instance.instanceId,
    ImageId: instance.imageId,
    InstanceType: instance.instanceType as Instance["InstanceType"],
    State: stateOf(instance.state),
    ...(instance.stateReason ? { StateReason: { Code: instance.stateReason.code, Message: instance.stateReason.message } } : {}),
    StateTransitionReason: instance.stateTransitionReason,
    LaunchTime: new Date(instance.launchTime),
    Placement: { AvailabilityZone: instance.availabilityZone, Tenancy: instance.tenancy as "default" },
    ...(instance.subnetId ? { SubnetId: instance.subnetId, VpcId: instance.vpcId } : {}),
    ...(primary ? { PrivateIpAddress: primary.privateIp, PrivateDnsName: `ip-${primary.privateIp.replaceAll(".", "-")}.ec2.internal` } : {}),
    ...(primary?.publicIp ? { PublicIpAddress: primary.publicIp } : {}),
    SecurityGroups: (primary?.groups ?? []).map(groupRef),
    NetworkInterfaces: enis.map((eni) => ({
      NetworkInterfaceId: eni.eniId,
      SubnetId: eni.subnetId,
      VpcId: eni.vpcId,
      OwnerId: ec2.ctx.accountId,
      Status: "in-use",
      PrivateIpAddress: eni.privateIp,
      PrivateIpAddresses: [{ PrivateIpAddress: eni.privateIp, Primary: true, ...(eni.publicIp ? { Association: { PublicIp: eni.publicIp, IpOwnerId: "amazon" } } : {}) }],
      ...(eni.publicIp ? { Association: { PublicIp: eni.publicIp, IpOwnerId: "amazon" } } : {}),
      Groups: eni.groups.map(groupRef),
      SourceDestCheck: instance.sourceDestCheck,
      InterfaceType: "interface",
      Attachment: { AttachmentId: eni.attachmentId, DeviceIndex: eni.deviceIndex, NetworkCardIndex: 0, Status: "attached", DeleteOnTermination: true, AttachTime: new Date(instance.launchTime) },
    })),
    BlockDeviceMappings: instance.volumeIds.flatMap((id) => {
      const attachment = ec2.volumes.get(id)?.attachment;
      return attachment ? [{ DeviceName: attachment.deviceName, Ebs: { VolumeId: id, Status: "attached", DeleteOnTermination: attachment.deleteOnTermination, AttachTime: new Date(attachment.attachTime) } }] : [];
    }),
    RootDeviceName: instance.rootDeviceName,
    RootDeviceType: instance.rootDeviceType,
    ...(profile ? { IamInstanceProfile: { Arn: profile.arn, Id: profile.id } } : {}),
    // EC2 answers "windows" in lower case, whatever the SDK's enum says.
    ...(instance.platform ? { Platform: "windows" as Instance["Platform"], PlatformDetails: "Windows" } : { PlatformDetails: "Linux/UNIX" }),
    Architecture: "x86_64",
    Hypervisor: "xen",
    VirtualizationType: "hvm",
    EbsOptimized: instance.ebsOptimized,
    Monitoring: { State: instance.monitoring ? "enabled" : "disabled" },
    MetadataOptions: { State: "applied", HttpTokens: instance.metadataHttpTokens, HttpPutResponseHopLimit: instance.metadataHopLimit, HttpEndpoint: "enabled" },
    SourceDestCheck: instance.sourceDestCheck,
    ...(instance.keyName ? { KeyName: instance.keyName } : {}),
    ...(instance.clientToken ? { ClientToken: instance.clientToken } : {}),
    AmiLaunchIndex: 0,
    ...tagListOrAbsent(instance.tags),
  };
}

const INSTANCE_FILTERS = [
  "instance-id",
  "instance-state-name",
  "instance-state-code",
  "vpc-id",
  "subnet-id",
  "image-id",
  "instance-type",
  "private-ip-address",
  "ip-address",
  "availability-zone",
  "network-interface.network-interface-id",
  "iam-instance-profile.arn",
  "instance.group-id",
  "key-name",
];

function instanceValues(ec2: Ec2State, instance: InstanceState, name: string): readonly string[] | undefined {
  const enis = instance.eniIds.map((id) => ec2.enis.get(id)).filter((e): e is EniState => e !== undefined);
  const values: Readonly<Record<string, readonly string[]>> = {
    "instance-id": [instance.instanceId],
    "instance-state-name": [instance.state],
    "instance-state-code": [String(STATE_CODES[instance.state])],
    "vpc-id": instance.vpcId ? [instance.vpcId] : [],
    "subnet-id": instance.subnetId ? [instance.subnetId] : [],
    "image-id": [instance.imageId],
    "instance-type": [instance.instanceType],
    "private-ip-address": enis.filter((e) => e.deviceIndex === 0).map((e) => e.privateIp),
    "ip-address": enis.flatMap((e) => (e.publicIp ? [e.publicIp] : [])),
    "availability-zone": [instance.availabilityZone],
    "network-interface.network-interface-id": enis.map((e) => e.eniId),
    "iam-instance-profile.arn": instance.iamInstanceProfileArn ? [instance.iamInstanceProfileArn] : [],
    "instance.group-id": ec2.instanceGroups(instance),
    "key-name": instance.keyName ? [instance.keyName] : [],
  };
  return values[name] ?? tagsMatchingFilter(instance.tags, name);
}

/** The instances named, all of them or an error naming every missing one, as EC2 answers. */
function namedInstances(ec2: Ec2State, ids: readonly string[]): InstanceState[] {
  const missing = ids.filter((id) => {
    try {
      ec2.instance(id);
      return false;
    } catch (error) {
      if (ids.length === 1) throw error;
      return true;
    }
  });
  if (missing.length === 1) throw notFound(missing[0]!);
  if (missing.length > 1) throw ec2Error("InvalidInstanceID.NotFound", `The instance IDs '${missing.join(", ")}' do not exist`);
  return [...new Set(ids)].map((id) => ec2.instances.get(id)!);
}

function describeInstances(ec2: Ec2State, input: DescribeInstancesCommandInput): Output<DescribeInstancesCommandOutput> {
  if (input.InstanceIds?.length && input.MaxResults !== undefined) {
    throw ec2Error("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults");
  }
  ec2.advanceInstances();
  const candidates = input.InstanceIds?.length ? namedInstances(ec2, input.InstanceIds) : [...ec2.instances.values()];
  const matched = filterBy(candidates, input.Filters, INSTANCE_FILTERS, (instance, name) => instanceValues(ec2, instance, name));
  const { page, NextToken } = paginate(matched, input, { min: 5, max: 1000 }, "DescribeInstances");
  const reservations = new Map<string, Reservation>();
  for (const instance of page) {
    const reservation = reservations.get(instance.reservationId) ?? { ReservationId: instance.reservationId, OwnerId: ec2.ctx.accountId, Groups: [], Instances: [] };
    reservation.Instances!.push(sdkInstance(ec2, instance));
    reservations.set(instance.reservationId, reservation);
  }
  return { Reservations: [...reservations.values()], ...(NextToken ? { NextToken } : {}) };
}

const ATTRIBUTES = [
  "instanceType",
  "kernel",
  "ramdisk",
  "userData",
  "disableApiTermination",
  "instanceInitiatedShutdownBehavior",
  "rootDeviceName",
  "blockDeviceMapping",
  "productCodes",
  "sourceDestCheck",
  "groupSet",
  "ebsOptimized",
  "sriovNetSupport",
  "enaSupport",
  "enclaveOptions",
  "disableApiStop",
];

function describeInstanceAttribute(ec2: Ec2State, input: DescribeInstanceAttributeCommandInput): Output<DescribeInstanceAttributeCommandOutput> {
  const instance = ec2.instance(input.InstanceId ?? "");
  const attribute = input.Attribute ?? "";
  if (!ATTRIBUTES.includes(attribute)) throw invalidParameter(`Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`);
  const base = { InstanceId: instance.instanceId };
  switch (attribute) {
    case "disableApiTermination":
      return { ...base, DisableApiTermination: { Value: instance.disableApiTermination } };
    case "disableApiStop":
      return { ...base, DisableApiStop: { Value: instance.disableApiStop } };
    case "userData":
      return { ...base, UserData: instance.userData === undefined ? {} : { Value: instance.userData } };
    case "instanceType":
      return { ...base, InstanceType: { Value: instance.instanceType } };
    case "rootDeviceName":
      return { ...base, RootDeviceName: { Value: instance.rootDeviceName } };
    case "sourceDestCheck":
      return { ...base, SourceDestCheck: { Value: instance.sourceDestCheck } };
    case "ebsOptimized":
      return { ...base, EbsOptimized: { Value: instance.ebsOptimized } };
    case "instanceInitiatedShutdownBehavior":
      return { ...base, InstanceInitiatedShutdownBehavior: { Value: "stop" } };
    case "groupSet": {
      const primary = ec2.primaryEni(instance);
      return { ...base, Groups: (primary?.groups ?? []).map((id) => ({ GroupId: id, GroupName: ec2.groups.get(id)?.groupName ?? id })) };
    }
    case "blockDeviceMapping":
      return { ...base, BlockDeviceMappings: sdkInstance(ec2, instance).BlockDeviceMappings ?? [] };
    default:
      throw new SimulationError(`simulated EC2 does not model DescribeInstanceAttribute ${attribute}`);
  }
}

function modifyInstanceAttribute(ec2: Ec2State, input: ModifyInstanceAttributeCommandInput): Output<ModifyInstanceAttributeCommandOutput> {
  const instance = ec2.instance(input.InstanceId ?? "");
  const given = (["DisableApiTermination", "DisableApiStop", "BlockDeviceMappings", "Groups", "SourceDestCheck", "InstanceType", "UserData", "Attribute", "EbsOptimized", "InstanceInitiatedShutdownBehavior", "Kernel", "Ramdisk", "SriovNetSupport", "EnaSupport"] as const).filter(
    (key) => input[key] !== undefined,
  );
  if (given.length === 0) throw ec2Error("MissingParameter", "No attributes specified.");
  if (given.length > 1) throw ec2Error("InvalidParameterCombination", "Fields for multiple attribute types specified: " + given.join(", "));
  const field = given[0]!;
  if (field !== "DisableApiTermination" && field !== "DisableApiStop" && field !== "SourceDestCheck" && field !== "BlockDeviceMappings" && field !== "Groups") {
    throw new SimulationError(`simulated EC2 does not model ModifyInstanceAttribute ${field}`);
  }
  for (const id of input.Groups ?? []) ec2.group(id);
  if (input.DryRun) throw dryRunOperation();
  if (instance.state === "terminated") throw ec2Error("IncorrectInstanceState", `The instance '${instance.instanceId}' is not in a state from which it can be modified.`);
  if (field === "DisableApiTermination" || field === "DisableApiStop" || field === "SourceDestCheck") {
    const value = input[field]?.Value;
    if (value === undefined) throw ec2Error("MissingParameter", `The request must contain the parameter ${field}.Value`);
    if (field === "DisableApiTermination") instance.disableApiTermination = value;
    else if (field === "DisableApiStop") instance.disableApiStop = value;
    else instance.sourceDestCheck = value;
    return {};
  }
  if (field === "BlockDeviceMappings") {
    const updates = (input.BlockDeviceMappings ?? []).map((mapping) => {
      const volume = instance.volumeIds.map((id) => ec2.volumes.get(id)).find((v) => v?.attachment?.deviceName === mapping.DeviceName);
      if (!volume?.attachment) throw ec2Error("InvalidInstanceAttributeValue", `No device is currently mapped at ${mapping.DeviceName ?? "(none)"}`);
      if (mapping.Ebs?.DeleteOnTermination === undefined) throw ec2Error("InvalidParameterCombination", "Only DeleteOnTermination may be modified on a mapped EBS volume");
      return { attachment: volume.attachment, value: mapping.Ebs.DeleteOnTermination };
    });
    for (const { attachment, value } of updates) attachment.deleteOnTermination = value;
    return {};
  }
  const primary = ec2.primaryEni(instance);
  if (!primary) throw ec2Error("IncorrectInstanceState", `The instance '${instance.instanceId}' has no network interface`);
  primary.groups = checkedGroups(ec2, primary, input.Groups ?? []);
  return {};
}

/** Groups for an interface: 1–5, existing, in the interface's VPC. */
function checkedGroups(ec2: Ec2State, eni: EniState, ids: readonly string[]): string[] {
  if (ids.length === 0) throw ec2Error("MissingParameter", "The request must contain the parameter groupId");
  const unique = [...new Set(ids)];
  if (unique.length > 5) throw ec2Error("SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached.");
  for (const id of unique) {
    const group = ec2.group(id);
    if (group.vpcId !== eni.vpcId) throw ec2Error("InvalidParameter", `Security group ${id} and interface ${eni.eniId} belong to different networks.`);
  }
  return unique;
}

function modifyNetworkInterfaceAttribute(ec2: Ec2State, input: ModifyNetworkInterfaceAttributeCommandInput): Output<ModifyNetworkInterfaceAttributeCommandOutput> {
  const eni = ec2.eni(input.NetworkInterfaceId ?? "");
  const given = (["Groups", "SourceDestCheck", "Description", "Attachment", "EnaSrdSpecification", "EnablePrimaryIpv6", "ConnectionTrackingSpecification", "AssociatePublicIpAddress"] as const).filter((k) => input[k] !== undefined);
  if (given.length === 0) throw ec2Error("MissingParameter", "No attributes specified.");
  if (given.length > 1) throw ec2Error("InvalidParameterCombination", "Fields for multiple attribute types specified: " + given.join(", "));
  if (given[0] !== "Groups") throw new SimulationError(`simulated EC2 does not model ModifyNetworkInterfaceAttribute ${given[0]!}`);
  for (const id of input.Groups ?? []) ec2.group(id);
  if (input.DryRun) throw dryRunOperation();
  eni.groups = checkedGroups(ec2, eni, input.Groups ?? []);
  return {};
}

function stateChange(instance: InstanceState, previous: InstanceStateName): InstanceStateChange {
  return { InstanceId: instance.instanceId, PreviousState: stateOf(previous), CurrentState: stateOf(instance.state) };
}

function startInstances(ec2: Ec2State, input: StartInstancesCommandInput): Output<StartInstancesCommandOutput> {
  const instances = namedInstances(ec2, input.InstanceIds ?? []);
  if (input.DryRun) throw dryRunOperation();
  for (const instance of instances) {
    if (instance.state === "stopping" || instance.state === "terminated" || instance.state === "shutting-down") {
      throw ec2Error("IncorrectInstanceState", `The instance '${instance.instanceId}' is not in a state from which it can be started.`);
    }
  }
  return {
    StartingInstances: instances.map((instance) => {
      const previous = instance.state;
      if (previous === "stopped") {
        const failure = instance.failStartWith;
        instance.stateReason = undefined;
        ec2.startTransition(instance, "pending", failure ? "stopped" : "running", failure ? { code: failure, message: `${failure}: Client error on launch` } : undefined);
        const primary = ec2.primaryEni(instance);
        const subnet = instance.subnetId ? ec2.subnets.get(instance.subnetId) : undefined;
        if (primary && subnet?.public && !failure) primary.publicIp = ec2.publicAddress();
      }
      return stateChange(instance, previous);
    }),
  };
}

function stopInstances(ec2: Ec2State, input: StopInstancesCommandInput): Output<StopInstancesCommandOutput> {
  const instances = namedInstances(ec2, input.InstanceIds ?? []);
  if (input.DryRun) throw dryRunOperation();
  for (const instance of instances) {
    if (instance.state === "terminated" || instance.state === "shutting-down") {
      throw ec2Error("IncorrectInstanceState", `This instance '${instance.instanceId}' is not in a state from which it can be stopped.`);
    }
    if (instance.rootDeviceType !== "ebs") {
      throw ec2Error("UnsupportedOperation", `The instance '${instance.instanceId}' does not have an 'ebs' root device type and cannot be stopped.`);
    }
    if (instance.disableApiStop) throw ec2Error("OperationNotPermitted", `The instance '${instance.instanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`);
  }
  return {
    StoppingInstances: instances.map((instance) => {
      const previous = instance.state;
      if (previous === "running" || previous === "pending") {
        ec2.startTransition(instance, "stopping", "stopped", { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" });
        instance.stateTransitionReason = `User initiated (${ec2.ctx.now().toISOString().replace("T", " ").slice(0, 19)} GMT)`;
        const primary = ec2.primaryEni(instance);
        if (primary) primary.publicIp = undefined;
      }
      return stateChange(instance, previous);
    }),
  };
}

/** Terminates: volumes marked DeleteOnTermination and the interfaces go with it, the others stay. */
export function terminate(ec2: Ec2State, instance: InstanceState): void {
  ec2.startTransition(instance, "shutting-down", "terminated", { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" });
  instance.stateTransitionReason = `User initiated (${ec2.ctx.now().toISOString().replace("T", " ").slice(0, 19)} GMT)`;
  for (const id of instance.volumeIds) {
    const volume = ec2.volumes.get(id);
    if (!volume?.attachment) continue;
    if (volume.attachment.deleteOnTermination) ec2.volumes.delete(id);
    else {
      volume.attachment = undefined;
      volume.state = "available";
    }
  }
  instance.volumeIds = [];
  for (const id of instance.eniIds) ec2.enis.delete(id);
  instance.eniIds = [];
  ec2.ctx.services().autoscaling.instanceTerminated(instance.instanceId);
}

function terminateInstances(ec2: Ec2State, input: TerminateInstancesCommandInput): Output<TerminateInstancesCommandOutput> {
  const instances = namedInstances(ec2, input.InstanceIds ?? []);
  if (input.DryRun) throw dryRunOperation();
  for (const instance of instances) {
    if (instance.disableApiTermination && instance.state !== "terminated") {
      throw ec2Error("OperationNotPermitted", `The instance '${instance.instanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
    }
  }
  return {
    TerminatingInstances: instances.map((instance) => {
      const previous = instance.state;
      if (previous !== "terminated" && previous !== "shutting-down") terminate(ec2, instance);
      return stateChange(instance, previous);
    }),
  };
}

interface LaunchRequest {
  readonly imageId: string;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  readonly instanceProfileArn?: string | undefined;
  readonly userData?: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly volumeTags: Readonly<Record<string, string>>;
  readonly httpTokens: "optional" | "required";
  readonly hopLimit?: number | undefined;
  readonly keyName?: string | undefined;
  readonly clientToken?: string | undefined;
  readonly monitoring?: boolean | undefined;
  readonly ebsOptimized?: boolean | undefined;
}

/** The request and what it names, as RunInstances checks them before a dry run answers. */
function checkLaunchRequest(ec2: Ec2State, request: LaunchRequest): void {
  if (!/^[a-z0-9-]+\.[a-z0-9-]+$/.test(request.instanceType)) throw invalidParameter(`Invalid value '${request.instanceType}' for InstanceType.`);
  if (!ec2.images.has(request.imageId)) throw notFound(request.imageId);
  ec2.subnet(request.subnetId);
  if (request.securityGroupIds.length === 0) throw ec2Error("MissingParameter", "The request must contain the parameter SecurityGroupId");
  for (const id of request.securityGroupIds) ec2.group(id);
  if (request.instanceProfileArn && !ec2.ctx.services().iam.instanceProfileByArn(request.instanceProfileArn)) {
    throw invalidParameter(`Value (${request.instanceProfileArn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`);
  }
}

/** What must hold for the launch to go ahead: an available image, groups of the subnet's VPC. */
function checkLaunchState(ec2: Ec2State, request: LaunchRequest): void {
  const image = ec2.images.get(request.imageId)!;
  if (image.state !== "available") throw ec2Error("InvalidAMIID.Unavailable", `Image ${request.imageId} is not available (${image.state})`);
  const subnet = ec2.subnets.get(request.subnetId)!;
  for (const id of request.securityGroupIds) {
    if (ec2.groups.get(id)!.vpcId !== subnet.vpcId) throw ec2Error("InvalidGroup.NotFound", `The security group '${id}' does not exist in VPC '${subnet.vpcId}'`);
  }
}

/** Validates a launch as RunInstances does, before anything is created. */
export function checkLaunch(ec2: Ec2State, request: LaunchRequest): void {
  checkLaunchRequest(ec2, request);
  checkLaunchState(ec2, request);
}

/** Creates a pending instance with its primary interface and root volume. */
export function launch(ec2: Ec2State, request: LaunchRequest, reservationId: string): InstanceState {
  const image = ec2.images.get(request.imageId)!;
  const subnet = ec2.subnets.get(request.subnetId)!;
  const now = ec2.ctx.now();
  const instanceId = ec2.ctx.ids.ec2("i");
  const eniId = ec2.ctx.ids.ec2("eni");
  ec2.enis.set(eniId, {
    eniId,
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    privateIp: ec2.allocateAddress(subnet),
    publicIp: subnet.public ? ec2.publicAddress() : undefined,
    groups: [...new Set(request.securityGroupIds)],
    instanceId,
    deviceIndex: 0,
    attachmentId: ec2.ctx.ids.ec2("eni-attach"),
    tags: {},
  });
  const volumeId = ec2.ctx.ids.ec2("vol");
  ec2.volumes.set(volumeId, {
    volumeId,
    sizeGib: image.rootVolumeSizeGib,
    availabilityZone: subnet.availabilityZone,
    state: "in-use",
    volumeType: "gp3",
    encrypted: false,
    createTime: now,
    tags: { ...request.volumeTags },
    attachment: { instanceId, deviceName: image.rootDeviceName, deleteOnTermination: true, attachTime: now },
  });
  const instance: InstanceState = {
    instanceId,
    reservationId,
    imageId: image.imageId,
    instanceType: request.instanceType,
    state: "pending",
    transition: { to: "running", pollsLeft: ec2.transitionPolls },
    stateTransitionReason: "",
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    availabilityZone: subnet.availabilityZone,
    launchTime: now,
    tags: { ...request.tags },
    disableApiTermination: false,
    disableApiStop: false,
    iamInstanceProfileArn: request.instanceProfileArn,
    userData: request.userData,
    rootDeviceName: image.rootDeviceName,
    rootDeviceType: "ebs",
    platform: image.platform,
    keyName: request.keyName,
    eniIds: [eniId],
    volumeIds: [volumeId],
    metadataHttpTokens: request.httpTokens,
    metadataHopLimit: request.hopLimit ?? 2,
    monitoring: request.monitoring ?? false,
    ebsOptimized: request.ebsOptimized ?? false,
    tenancy: "default",
    sourceDestCheck: true,
    clientToken: request.clientToken,
  };
  ec2.addInstance(instance);
  return instance;
}

function runInstances(ec2: Ec2State, input: RunInstancesCommandInput): Output<RunInstancesCommandOutput> {
  const unsupported = (["NetworkInterfaces", "LaunchTemplate", "BlockDeviceMappings", "SecurityGroups", "PrivateIpAddress", "Ipv6Addresses", "ElasticGpuSpecification", "InstanceMarketOptions"] as const).filter((k) => input[k] !== undefined);
  if (unsupported.length > 0) throw new SimulationError(`simulated EC2 does not model RunInstances with ${unsupported.join(", ")}`);
  if (!input.ImageId) throw ec2Error("MissingParameter", "The request must contain the parameter ImageId");
  if (!input.SubnetId) throw ec2Error("MissingParameter", "The simulated account has no default VPC subnet; RunInstances needs SubnetId");
  const min = input.MinCount ?? 0;
  const max = input.MaxCount ?? 0;
  if (min < 1 || max < min) throw invalidParameter(`Invalid value for MinCount/MaxCount: ${min}/${max}`);
  const tags: Record<string, string> = {};
  const volumeTags: Record<string, string> = {};
  applyTagSpecifications(input.TagSpecifications, { instance: tags, volume: volumeTags }, "RunInstances");
  const request: LaunchRequest = {
    imageId: input.ImageId,
    instanceType: input.InstanceType ?? "m1.small",
    subnetId: input.SubnetId,
    securityGroupIds: input.SecurityGroupIds ?? [],
    instanceProfileArn: input.IamInstanceProfile?.Arn,
    userData: input.UserData,
    tags,
    volumeTags,
    httpTokens: input.MetadataOptions?.HttpTokens === "required" ? "required" : "optional",
    hopLimit: input.MetadataOptions?.HttpPutResponseHopLimit,
    keyName: input.KeyName,
    clientToken: input.ClientToken,
    monitoring: input.Monitoring?.Enabled,
    ebsOptimized: input.EbsOptimized,
  };
  if (input.IamInstanceProfile?.Name) throw new SimulationError("simulated EC2 models IamInstanceProfile by Arn only");
  checkLaunchRequest(ec2, request);
  if (input.DryRun) throw dryRunOperation();
  const fingerprint = JSON.stringify({ ...input, DryRun: undefined, ClientToken: undefined });
  const previous = input.ClientToken ? ec2.clientTokens.get(input.ClientToken) : undefined;
  if (previous && previous.request !== fingerprint) {
    throw ec2Error("IdempotentParameterMismatch", "The client token you have provided is associated with a resource that is already deleted or has different parameters.");
  }
  if (!previous) checkLaunchState(ec2, request);
  if (previous) {
    const instances = previous.instanceIds.map((id) => ec2.instances.get(id)!);
    return { ReservationId: instances[0]!.reservationId, OwnerId: ec2.ctx.accountId, Groups: [], Instances: instances.map((i) => sdkInstance(ec2, i)) };
  }
  const reservationId = ec2.ctx.ids.ec2("r");
  const instances = Array.from({ length: max }, () => launch(ec2, request, reservationId));
  if (input.ClientToken) ec2.clientTokens.set(input.ClientToken, { request: fingerprint, instanceIds: instances.map((i) => i.instanceId) });
  return { ReservationId: reservationId, OwnerId: ec2.ctx.accountId, Groups: [], Instances: instances.map((i) => sdkInstance(ec2, i)) };
}

export function instanceHandlers(ec2: Ec2State): HandlerTable {
  return {
    DescribeInstances: read((input: DescribeInstancesCommandInput) => describeInstances(ec2, input)),
    DescribeInstanceAttribute: read((input: DescribeInstanceAttributeCommandInput) => describeInstanceAttribute(ec2, input)),
    ModifyInstanceAttribute: write((input: ModifyInstanceAttributeCommandInput) => modifyInstanceAttribute(ec2, input)),
    ModifyNetworkInterfaceAttribute: write((input: ModifyNetworkInterfaceAttributeCommandInput) => modifyNetworkInterfaceAttribute(ec2, input)),
    StartInstances: write((input: StartInstancesCommandInput) => startInstances(ec2, input)),
    StopInstances: write((input: StopInstancesCommandInput) => stopInstances(ec2, input)),
    TerminateInstances: write((input: TerminateInstancesCommandInput) => terminateInstances(ec2, input)),
    RunInstances: write((input: RunInstancesCommandInput) => runInstances(ec2, input)),
  };
}
