import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GuardDutyClient, ListDetectorsCommand } from "@aws-sdk/client-guardduty";
import { IAMClient, ListUsersCommand } from "@aws-sdk/client-iam";
import { GetBucketAclCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DescribeInstanceInformationCommand, SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { classifyAwsError } from "../../../functions/contract/aws-errors.js";
import { isTaskError } from "../../../functions/contract/errors.js";
import isolateInstance from "../../../functions/ec2/isolate-instance.js";
import tagInstance from "../../../functions/ec2/tag-instance.js";
import type { FaultConfigInput, SimulatedAccount } from "../../../workflows/local/simulated-account/index.js";
import { failure, runner, scenario } from "./support.js";

/** Throttling, latency, denied permissions and scripted failures, all decided before anything changes. */

const INSTANCE = "i-0123456789abcdef0";
const load = async (faults: FaultConfigInput, sleep?: (ms: number) => Promise<void>) => (await scenario("ssh-rdp-brute-force", { faults, ...(sleep ? { sleep } : {}) })).account;

/** Invokes like Step Functions with Retry on Transient: again until it succeeds, within a bound. */
async function untilDone(attempt: () => Promise<unknown>, limit = 60): Promise<{ result: unknown; transientFailures: number }> {
  for (let failures = 0; failures < limit; failures += 1) {
    try {
      return { result: await attempt(), transientFailures: failures };
    } catch (error) {
      if (!(isTaskError(error) && error.name === "Transient")) throw error;
    }
  }
  throw new Error(`still failing after ${limit} attempts`);
}

describe("fault injection", () => {
  it("throttles every call at throttleRate 1: the SDK retries (3 attempts), then the task fails Transient and nothing changes", async () => {
    const account = await load({ throttleRate: 1 });
    const before = account.snapshot();
    const error = await failure(runner(account).run(tagInstance, { instanceId: INSTANCE, tags: { "irflow:status": "quarantined" } }));
    expect(error).toMatchObject({ name: "Transient", detail: "RequestLimitExceeded" });
    expect(account.snapshot()).toEqual(before);
    const throttled = expect.objectContaining({ command: "DescribeInstances", outcome: "error", error: "RequestLimitExceeded", fault: "throttle" });
    expect(account.calls).toEqual([throttled, throttled, throttled]);
  });

  it("throttles with each service's own error, which tasks classify as Transient", async () => {
    const account = await load({ throttleRate: 1 });
    const aws = account.clientProvider();
    const attempts = [
      aws(EC2Client).send(new DescribeInstancesCommand({})),
      aws(IAMClient).send(new ListUsersCommand({})),
      aws(S3Client).send(new GetBucketAclCommand({ Bucket: "irflow-evidence-123456789012" })),
      aws(SNSClient).send(new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:123456789012:irflow-owner", Message: "x" })),
      aws(SSMClient).send(new DescribeInstanceInformationCommand({})),
      aws(GuardDutyClient).send(new ListDetectorsCommand({})),
      aws(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({})),
      aws(ElasticLoadBalancingV2Client).send(new DescribeTargetGroupsCommand({})),
    ];
    const errors = await Promise.all(attempts.map((p) => p.then(() => undefined, (e: unknown) => e)));
    expect(errors.map((e) => [(e as Error).name, (e as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode])).toEqual([
      ["RequestLimitExceeded", 503],
      ["Throttling", 400],
      ["SlowDown", 503],
      ["ThrottledException", 429],
      ["ThrottlingException", 400],
      ["ThrottlingException", 429],
      ["Throttling", 400],
      ["Throttling", 400],
    ]);
    for (const error of errors) expect(classifyAwsError(error, "call").name).toBe("Transient");
  });

  it("is deterministic: the same seed throttles the same calls, another seed others", async () => {
    const outcomes = async (seed: number) => {
      const account = await load({ throttleRate: 0.5, seed });
      const ec2 = account.clientProvider()(EC2Client);
      const results: string[] = [];
      for (let i = 0; i < 24; i += 1) results.push(await ec2.send(new DescribeInstancesCommand({ InstanceIds: [INSTANCE] })).then(() => "ok", (e: Error) => e.name));
      return results;
    };
    const first = await outcomes(42);
    expect(await outcomes(42)).toEqual(first);
    expect(first).toContain("ok");
    expect(first).toContain("RequestLimitExceeded");
    expect(await outcomes(43)).not.toEqual(first);
  });

  it("refuses a throttled call before it changes anything: retried until it succeeds, the change is applied once", async () => {
    // High enough that some call fails all three of the SDK's attempts and the task sees it.
    const account = await load({ throttleRate: 0.8, seed: 7 });
    const r = runner(account);
    const { transientFailures } = await untilDone(() => r.run(tagInstance, { instanceId: INSTANCE, tags: { "irflow:status": "quarantined", "irflow:incident": "inc-20261124-0001abcd" } }));
    expect(transientFailures).toBeGreaterThan(0);
    expect(account.mutations().map((c) => c.command)).toEqual(["CreateTags"]);
    expect(account.snapshot().ec2.instances[INSTANCE]?.tags).toMatchObject({ "irflow:status": "quarantined", "irflow:incident": "inc-20261124-0001abcd" });
  });

  it("limits throttling to the services or calls named", async () => {
    const account = await load({ throttleRate: 1, throttle: ["iam", "ec2:CreateTags"] });
    const aws = account.clientProvider();
    await expect(aws(EC2Client).send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
    await expect(aws(IAMClient).send(new ListUsersCommand({}))).rejects.toMatchObject({ name: "Throttling" });
    const error = await failure(runner(account).run(tagInstance, { instanceId: INSTANCE, tags: { a: "b" } }));
    expect(error).toMatchObject({ name: "Transient", detail: "RequestLimitExceeded" });
  });

  it("adds latency through the injectable sleep", async () => {
    const slept: number[] = [];
    const account = await load({ latencyMs: 250 }, (ms) => {
      slept.push(ms);
      return Promise.resolve();
    });
    await runner(account).run(tagInstance, { instanceId: INSTANCE, tags: { a: "b" } });
    expect(slept).toEqual(account.calls.map(() => 250));
  });

  it("answers a denied call with the service's access-denied error: Forbidden, also in a plan's dry run", async () => {
    const account = await load({ deny: ["ec2:CreateTags"] });
    const r = runner(account);
    expect(await failure(r.plan(tagInstance, { instanceId: INSTANCE, tags: { a: "b" } }))).toMatchObject({ name: "Forbidden", detail: "UnauthorizedOperation" });
    expect(await failure(r.run(tagInstance, { instanceId: INSTANCE, tags: { a: "b" } }))).toMatchObject({ name: "Forbidden" });
    expect(account.calls.filter((c) => c.fault === "deny").map((c) => c.dryRun)).toEqual([true, false]);
  });

  it("fails a scripted call once; the retry of a half-done isolation converges without doing anything twice", async () => {
    // Three failures in a row: the SDK retries a 500 itself (3 attempts), so only then does the task fail.
    const account: SimulatedAccount = await load({ errors: [{ call: "ec2:ModifyNetworkInterfaceAttribute", error: "InternalError", status: 500, after: 1, times: 3 }] });
    const r = runner(account);
    // The first move (into the allow-all group) succeeds, the second (into quarantine) fails.
    const first = await failure(r.run(isolateInstance, { instanceId: INSTANCE }, { stepId: "contain/isolate-the-instance" }));
    expect(first).toMatchObject({ name: "Transient", detail: "InternalError" });
    const groups = account.snapshot().ec2.securityGroups;
    const byName = (name: string) => Object.entries(groups).find(([, g]) => g.name === name)![0];
    expect(account.snapshot().ec2.instances[INSTANCE]?.networkInterfaces[0]?.groups).toEqual([byName("irflow-untrack")]);

    const output = await r.run(isolateInstance, { instanceId: INSTANCE }, { stepId: "contain/isolate-the-instance" });
    expect(output).toMatchObject({ originalGroupIds: ["sg-0123456789abcdef0"], quarantineGroupId: byName("irflow-quarantine") });
    const instance = account.snapshot().ec2.instances[INSTANCE]!;
    expect(instance.networkInterfaces[0]?.groups).toEqual([byName("irflow-quarantine")]);
    expect(instance.tags["irflow:isolated-from"]).toBe("eni-0a0b0c0d0e0f01020=sg-0123456789abcdef0");
    // Each group was created once, each interface move and protection change made once.
    const made = account.mutations().map((c) => c.command);
    expect(made.filter((c) => c === "CreateSecurityGroup")).toHaveLength(2);
    expect(made.filter((c) => c === "ModifyNetworkInterfaceAttribute")).toHaveLength(2);
    expect(made.filter((c) => c === "ModifyInstanceAttribute")).toHaveLength(2);
  });
});
