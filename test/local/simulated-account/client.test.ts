import { AutoScalingClient, DetachInstancesCommand } from "@aws-sdk/client-auto-scaling";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkAclEntryCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { GetItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetFindingsCommand, GuardDutyClient } from "@aws-sdk/client-guardduty";
import { GetUserCommand, IAMClient, ListUsersCommand, NoSuchEntityException } from "@aws-sdk/client-iam";
import { GetBucketAclCommand, GetBucketPolicyCommand, GetBucketTaggingCommand, GetPublicAccessBlockCommand, NoSuchBucket, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { classifyAwsError } from "../../../functions/contract/aws-errors.js";
import { clientFactory } from "../../../functions/contract/clients.js";
import tagInstance from "../../../functions/ec2/tag-instance.js";
import { SimulatedAccount, SimulationError } from "../../../workflows/local/simulated-account/index.js";
import { UNSIMULATED } from "../../../workflows/local/simulated-account/middleware.js";
import { accountWith, runner, scenario } from "./support.js";

/** How the simulation meets the SDK: no network, no credentials, real error shapes, a call log. */

function account(): SimulatedAccount {
  return accountWith({
    ec2: {
      vpcs: [{ vpcId: "vpc-0a1b2c3d4e5f60718", cidr: "10.0.0.0/16" }],
      subnets: [{ subnetId: "subnet-0c1d2e3f4a5b6c7d8", vpcId: "vpc-0a1b2c3d4e5f60718", cidr: "10.0.1.0/24", availabilityZone: "us-east-1a" }],
      securityGroups: [{ groupId: "sg-0123456789abcdef0", name: "web", vpcId: "vpc-0a1b2c3d4e5f60718" }],
      instances: [
        {
          instanceId: "i-0123456789abcdef0",
          imageId: "ami-0fedcba9876543210",
          subnetId: "subnet-0c1d2e3f4a5b6c7d8",
          securityGroups: ["sg-0123456789abcdef0"],
          disableApiTermination: true,
          volumes: [{ volumeId: "vol-0a1b2c3d4e5f60789", deviceName: "/dev/xvda" }],
          tags: { Name: "web-1" },
        },
      ],
    },
    iam: { users: [{ userName: "alice", createDate: "2025-01-01T00:00:00Z" }] },
    s3: { buckets: [{ name: "irflow-evidence-123456789012" }] },
  });
}

/** A client wired to the account whose HTTP handler fails the test if used; it records the credentials it signs with. */
function guarded<T extends EC2Client | IAMClient | S3Client>(client: T, sim: SimulatedAccount): { client: T; used: string[] } {
  const used: string[] = [];
  sim.configure(client);
  const config = client.config as unknown as { credentials: () => Promise<{ accessKeyId: string }>; requestHandler: unknown };
  const fake = config.credentials;
  config.credentials = async () => {
    const credentials = await fake();
    used.push(`credentials ${credentials.accessKeyId}`);
    return credentials;
  };
  config.requestHandler = {
    handle: () => {
      used.push("http");
      return Promise.reject(new Error("an HTTP request was sent"));
    },
  };
  return { client, used };
}

describe("the simulated account's SDK plumbing", () => {
  it("answers where the HTTP handler would, never asking for credentials, never over HTTP", async () => {
    const sim = account();
    const { client, used } = guarded(new EC2Client({ region: "us-east-1" }), sim);
    const result = await client.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] }));
    expect(result.Reservations?.[0]?.Instances?.[0]?.InstanceId).toBe("i-0123456789abcdef0");
    expect(result.$metadata.httpStatusCode).toBe(200);
    const error = await client.send(new TerminateInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "OperationNotPermitted", $metadata: { httpStatusCode: 400 } });
    // Nothing signs, so nothing resolves an identity either.
    expect(used).toEqual([]);
  });

  it("still runs each call through the SDK's endpoint resolution, serializer and checks, before the account sees it", async () => {
    const sim = account();
    const aws = sim.clientProvider();
    const ec2 = aws(EC2Client);
    for (const name of UNSIMULATED) expect(ec2.middlewareStack.identify().some((entry) => entry.startsWith(`${name} `))).toBe(false);
    expect(ec2.middlewareStack.identify().filter((entry) => /^(serializerMiddleware|retryMiddleware|irflowSimulatedAccount) /.test(entry))).toHaveLength(3);
    // The protocol serializer refuses a request it could not build (a missing HTTP label).
    await expect(aws(GuardDutyClient).send(new GetFindingsCommand({ DetectorId: undefined, FindingIds: ["f"] }))).rejects.toThrow(/HTTP label: DetectorId/);
    // S3's own input check, and endpoint resolution's region check.
    await expect(aws(S3Client).send(new GetBucketAclCommand({ Bucket: "irflow/evidence" }))).rejects.toThrow(/Bucket name shouldn't contain '\/'/);
    await expect(sim.clientProvider({ region: "us east 1" })(EC2Client).send(new DescribeInstancesCommand({}))).rejects.toThrow(/region/i);
    expect(sim.calls).toEqual([]);
  });

  it("gives each client fake credentials, so a presigned URL never looks for real ones", async () => {
    const sim = account();
    const s3 = sim.clientProvider()(S3Client);
    const signer = new S3Client({ region: "us-east-1", credentials: s3.config.credentials });
    const url = new URL(await getSignedUrl(signer, new PutObjectCommand({ Bucket: "irflow-evidence-123456789012", Key: "inc/x.lime" }), { expiresIn: 600 }));
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^AKIASIMULATEDACCOUNT\//);
    signer.destroy();
  });

  it("runs a real task through clientFactory(config, account.configure)", async () => {
    const sim = account();
    const r = runner(sim);
    const ports = { ...r.ports, aws: clientFactory({ region: "us-east-1", maxAttempts: 1 }, sim.configure) };
    const { executeTask } = await import("../../../functions/runtime/execute-task.js");
    await executeTask(
      tagInstance,
      { mode: "run", input: { instanceId: "i-0123456789abcdef0", tags: { "irflow:status": "quarantined" } }, context: { executionId: "x", runbookId: "test-runbook", stepId: "contain/tag", task: "ec2.tag-instance", incidentId: "inc-20261124-0001abcd" } },
      ports,
    );
    expect(sim.snapshot().ec2.instances["i-0123456789abcdef0"]?.tags).toEqual({ Name: "web-1", "irflow:status": "quarantined" });
  });

  it("refuses loudly a command it does not model, naming the service and the command", async () => {
    const sim = account();
    const ec2 = sim.clientProvider()(EC2Client);
    const { DescribeAddressesCommand } = await import("@aws-sdk/client-ec2");
    const error = await ec2.send(new DescribeAddressesCommand({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulationError);
    expect((error as Error).message).toContain("simulated ec2 does not model DescribeAddresses");
    expect(sim.calls.at(-1)).toMatchObject({ service: "ec2", command: "DescribeAddresses", outcome: "error", error: "SimulationError" });
    // A task sees it as a failure, never as a success.
    expect(classifyAwsError(error, "DescribeAddresses").name).toBe("PreconditionFailed");
  });

  it("refuses a client of a service it has no model of, and a client of another region", async () => {
    const sim = account();
    const dynamo = sim.clientProvider()(DynamoDBClient);
    await expect(dynamo.send(new GetItemCommand({ TableName: "t", Key: {} }))).rejects.toThrow(/no model of DynamoDBClient \(GetItemCommand\)/);
    const elsewhere = sim.clientProvider({ region: "eu-west-1" })(EC2Client);
    await expect(elsewhere.send(new DescribeInstancesCommand({}))).rejects.toThrow(/simulated in us-east-1; this EC2Client is configured for eu-west-1/);
    // IAM is global: a client of any region reaches it.
    const iam = sim.clientProvider({ region: "eu-west-1" })(IAMClient);
    await expect(iam.send(new ListUsersCommand({}))).resolves.toMatchObject({ Users: [{ UserName: "alice" }] });
  });

  it("raises errors as the SDK does: modeled classes, names, HTTP status, fault", async () => {
    const sim = account();
    const aws = sim.clientProvider();
    const noUser = await aws(IAMClient).send(new GetUserCommand({ UserName: "mallory" })).catch((e: unknown) => e);
    expect(noUser).toBeInstanceOf(NoSuchEntityException);
    expect(noUser).toMatchObject({ name: "NoSuchEntityException", $fault: "client", $metadata: { httpStatusCode: 404 }, message: "The user with name mallory cannot be found." });
    const noBucket = await aws(S3Client).send(new GetBucketAclCommand({ Bucket: "no-such-bucket-here" })).catch((e: unknown) => e);
    expect(noBucket).toBeInstanceOf(NoSuchBucket);
    const noInstance = await aws(EC2Client).send(new DescribeInstancesCommand({ InstanceIds: ["i-00000000000000000"] })).catch((e: unknown) => e);
    expect(noInstance).toMatchObject({ name: "InvalidInstanceID.NotFound", $metadata: { httpStatusCode: 400 } });
    expect(classifyAwsError(noInstance, "DescribeInstances").name).toBe("NotFound");
    const malformed = await aws(EC2Client).send(new DescribeInstancesCommand({ InstanceIds: ["i-xyz"] })).catch((e: unknown) => e);
    expect(malformed).toMatchObject({ name: "InvalidInstanceID.Malformed" });
    const dry = await aws(EC2Client).send(new DescribeInstancesCommand({ DryRun: true })).catch((e: unknown) => e);
    expect(dry).toMatchObject({ name: "DryRunOperation", $metadata: { httpStatusCode: 412 } });
  });

  it("answers missing or invalid resources with the codes AWS uses", async () => {
    const { account: sim } = await scenario("security-group-open-to-world");
    const aws = sim.clientProvider();
    const ec2 = aws(EC2Client);
    const s3 = (await scenario("public-s3-bucket")).account.clientProvider()(S3Client);
    const autoscaling = (await scenario("ec2-instance-compromise")).account.clientProvider()(AutoScalingClient);
    const code = (p: Promise<unknown>) => p.then(() => "ok", (e: Error & { $metadata?: { httpStatusCode?: number } }) => `${e.name} ${e.$metadata?.httpStatusCode ?? "?"}`);
    const sshFromOffice = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "192.0.2.0/24" }] };
    const notThere = { IpProtocol: "tcp", FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: "192.0.2.0/24" }] };
    expect(
      await Promise.all([
        code(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: "sg-0123456789abcdef0", IpPermissions: [sshFromOffice] }))),
        code(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: "sg-0123456789abcdef0", IpPermissions: [notThere] }))),
        code(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ["sg-0000000000000000f"] }))),
        code(ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: ["acl-0000000000000000f"] }))),
        code(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "no-such-filter", Values: ["x"] }] }))),
        code(s3.send(new GetBucketPolicyCommand({ Bucket: "irflow-evidence-123456789012" }))),
        code(s3.send(new GetPublicAccessBlockCommand({ Bucket: "acme-marketing-assets" }))),
        code(s3.send(new GetBucketTaggingCommand({ Bucket: "irflow-evidence-123456789012" }))),
        code(autoscaling.send(new DetachInstancesCommand({ AutoScalingGroupName: "web-asg", InstanceIds: ["i-0fedcba9876543210"], ShouldDecrementDesiredCapacity: false }))),
      ]),
    ).toEqual([
      "InvalidPermission.Duplicate 400",
      "InvalidPermission.NotFound 400",
      "InvalidGroup.NotFound 400",
      "InvalidNetworkAclID.NotFound 400",
      "InvalidParameterValue 400",
      "NoSuchBucketPolicy 404",
      "NoSuchPublicAccessBlockConfiguration 404",
      "NoSuchTagSet 404",
      "ValidationError 400",
    ]);
    const acl = sim.snapshot().ec2.subnets["subnet-0a1b2c3d4e5f6a7b8"]!.networkAclId!;
    const entry = { NetworkAclId: acl, RuleNumber: 100, Egress: false, RuleAction: "deny" as const, Protocol: "-1", CidrBlock: "203.0.113.7/32" };
    expect(await code(ec2.send(new CreateNetworkAclEntryCommand(entry)))).toBe("NetworkAclEntryAlreadyExists 400");
    expect(await code(ec2.send(new CreateNetworkAclEntryCommand({ ...entry, RuleNumber: 7, CidrBlock: "203.0.113.7/33" })))).toBe("InvalidParameterValue 400");
    expect(sim.mutations()).toEqual([]);
  });

  it("generates the same ids for the same run, so snapshots can be compared", async () => {
    const ids = async () => {
      const { account: sim } = await scenario("security-group-open-to-world");
      const created = await sim.clientProvider()(EC2Client).send(new CreateSecurityGroupCommand({ GroupName: "irflow-quarantine", Description: "q", VpcId: "vpc-0a1b2c3d4e5f6a7b8" }));
      return [created.GroupId, sim.snapshot()];
    };
    expect(await ids()).toEqual(await ids());
  });

  it("logs every call with its input and outcome, and hands out copies of its state", async () => {
    const sim = account();
    const ec2 = sim.clientProvider()(EC2Client);
    const first = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] }));
    first.Reservations![0]!.Instances![0]!.Tags!.push({ Key: "forged", Value: "yes" });
    await ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-00000000000000000"] })).catch(() => undefined);
    expect(sim.snapshot().ec2.instances["i-0123456789abcdef0"]?.tags).toEqual({ Name: "web-1" });
    expect(sim.calls).toEqual([
      { seq: 1, service: "ec2", command: "DescribeInstances", input: { InstanceIds: ["i-0123456789abcdef0"] }, outcome: "ok", dryRun: false, mutating: false },
      { seq: 2, service: "ec2", command: "DescribeInstances", input: { InstanceIds: ["i-00000000000000000"] }, outcome: "error", error: "InvalidInstanceID.NotFound", dryRun: false, mutating: false },
    ]);
  });

  it("checks a scenario's resources as it seeds them", () => {
    expect(
      () =>
        new SimulatedAccount({
          accountId: "123456789012",
          region: "us-east-1",
          resources: { ec2: { instances: [{ instanceId: "i-0123456789abcdef0", imageId: "ami-0fedcba9876543210", subnetId: "subnet-0c1d2e3f4a5b6c7d8", securityGroups: ["sg-0123456789abcdef0"] }] } },
        }),
    ).toThrow("resources.ec2.instances.0.subnetId: subnet-0c1d2e3f4a5b6c7d8 is not declared in ec2.subnets");
  });
});
