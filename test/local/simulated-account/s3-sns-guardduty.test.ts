import { describe, expect, it } from "vitest";
import archiveFinding from "../../../functions/guardduty/archive-finding.js";
import sendFeedback from "../../../functions/guardduty/send-feedback.js";
import unarchiveFinding from "../../../functions/guardduty/unarchive-finding.js";
import describeBucketAccess from "../../../functions/s3/describe-bucket-access.js";
import enableBlockPublicAccess from "../../../functions/s3/enable-block-public-access.js";
import makeBucketPrivate from "../../../functions/s3/make-bucket-private.js";
import restoreBucketAccess from "../../../functions/s3/restore-bucket-access.js";
import notify from "../../../functions/sns/notify.js";
import { failure, INCIDENT_ID, runner, scenario } from "./support.js";

/** S3 bucket access, SNS notices and GuardDuty findings, through the real tasks. */

const BUCKET = "acme-marketing-assets";
const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
const DETECTOR = "3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b";
const FINDING = "a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1";

describe("S3 tasks on a simulated account", () => {
  it("s3.describe-bucket-access judges the bucket public and stores the configuration as evidence under its SHA-256", async () => {
    const { account } = await scenario("public-s3-bucket");
    const r = runner(account);
    const output = await r.run(describeBucketAccess, { bucketName: BUCKET }, { stepId: "detect/record-who-can-reach-the-bucket" });
    expect(output).toMatchObject({ bucketName: BUCKET, objectOwnership: "ObjectWriter", aclPublic: true, policyPresent: true, policyPublic: true, isPublic: true, publicAccessBlock: null });
    const evidence = account.snapshot().s3.buckets["irflow-evidence-123456789012"]!.objects;
    const [key, object] = Object.entries(evidence)[0]!;
    expect(key).toBe(`incidents/${INCIDENT_ID}/detect/record-who-can-reach-the-bucket/s3-bucket-configuration/${BUCKET}/${object.sha256}.json`);
    expect(object.contentType).toBe("application/json");
    const { journal } = r;
    const record = await journal.find({ incidentId: INCIDENT_ID, stepId: "detect/record-who-can-reach-the-bucket", task: "s3.describe-bucket-access" }, "run");
    expect(record?.evidence[0]).toMatchObject({ sha256: object.sha256, location: `s3://irflow-evidence-123456789012/${key}` });
  });

  it("contains: Block Public Access on, then only the public grants and statements removed", async () => {
    const { account } = await scenario("public-s3-bucket");
    const r = runner(account);
    const blocked = await r.run(enableBlockPublicAccess, { bucketName: BUCKET }, { stepId: "contain/block-public-access" });
    expect(blocked).toMatchObject({ previousPublicAccessBlock: null });
    await r.run(makeBucketPrivate, { bucketName: BUCKET }, { stepId: "contain/remove-the-public-grants" });
    const bucket = account.snapshot().s3.buckets[BUCKET]!;
    expect(bucket.publicAccessBlock).toEqual({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true });
    expect(bucket.grants.map((g) => `${g.grantee === ALL_USERS ? "AllUsers" : g.granteeType} ${g.permission}`)).toEqual(["CanonicalUser FULL_CONTROL", "Group WRITE", "Group READ_ACP"]);
    expect((bucket.policy as { Statement: { Sid: string }[] }).Statement.map((s) => s.Sid)).toEqual(["CloudFrontRead"]);
    expect(bucket.public).toEqual({ acl: false, policy: false });
    // The second incident finds nothing to do.
    await r.run(makeBucketPrivate, { bucketName: BUCKET }, { incidentId: "inc-20261124-0002abcd", stepId: "contain/remove-the-public-grants" });
    expect(account.mutations().map((c) => c.command)).toEqual(["PutPublicAccessBlock", "PutBucketAcl", "PutBucketPolicy"]);
  });

  it("refuses to reopen the bucket while Block Public Access is on: the undos must lift the block first", async () => {
    const { account } = await scenario("public-s3-bucket");
    const r = runner(account);
    await r.run(enableBlockPublicAccess, { bucketName: BUCKET }, { stepId: "contain/block-public-access" });
    await r.run(makeBucketPrivate, { bucketName: BUCKET }, { stepId: "contain/remove-the-public-grants" });
    const undoOf = async (stepId: string, task: string) => (await r.journal.find({ incidentId: INCIDENT_ID, stepId, task }, "run"))!.undo!;
    const unblock = await undoOf("contain/block-public-access", "s3.enable-block-public-access");
    const reopen = await undoOf("contain/remove-the-public-grants", "s3.make-bucket-private");
    // Last change first (the usual order for undos): S3 refuses a public ACL while BlockPublicAcls is on.
    expect(await failure(r.run(restoreBucketAccess, reopen.input, { stepId: "recover/reopen" }))).toMatchObject({ name: "Forbidden", detail: "AccessDenied" });
    await r.run(restoreBucketAccess, unblock.input, { stepId: "recover/unblock" });
    await r.run(restoreBucketAccess, reopen.input, { stepId: "recover/reopen-again" });
    const bucket = account.snapshot().s3.buckets[BUCKET]!;
    expect(bucket.publicAccessBlock).toBeNull();
    expect(bucket.public).toEqual({ acl: true, policy: true });
  });

  it("a missing bucket is NotFound", async () => {
    const { account } = await scenario("public-s3-bucket");
    expect(await failure(runner(account).run(makeBucketPrivate, { bucketName: "no-such-bucket-here" }))).toMatchObject({ name: "NotFound", detail: "NoSuchBucket" });
  });
});

describe("SNS notices on a simulated account", () => {
  it("sns.notify publishes once per step, and the message is kept for assertions", async () => {
    const { account } = await scenario("ssh-rdp-brute-force");
    const r = runner(account);
    const input = { subject: "Blocked 203.0.113.77 at subnet-0c1d2e3f4a5b6c7d8 for 24h", message: "irflow denied 203.0.113.77/32.", severity: "low", audience: "owner" };
    const output = await r.run(notify, input, { stepId: "contain/tell-the-owner" });
    await r.run(notify, input, { stepId: "contain/tell-the-owner" });
    const messages = account.sns.messages("arn:aws:sns:us-east-1:123456789012:irflow-owner");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ messageId: output.messageId, subject: input.subject, messageStructure: "json", attributes: { incidentId: INCIDENT_ID, severity: "low" } });
    expect(JSON.parse(messages[0]!.message)).toMatchObject({ default: expect.stringContaining("irflow denied 203.0.113.77/32."), https: expect.stringContaining('"threadId"') });
  });

  it("a topic the account does not have is NotFound", async () => {
    const { account } = await scenario("ssh-rdp-brute-force");
    const r = runner(account, { topics: { owner: "arn:aws:sns:us-east-1:123456789012:no-such-topic" } });
    expect(await failure(r.run(notify, { subject: "x", message: "y", audience: "owner" }))).toMatchObject({ name: "NotFound", detail: "NotFoundException" });
  });
});

describe("GuardDuty findings on a simulated account", () => {
  it("archive, unarchive and feedback change the finding, once each", async () => {
    const { account } = await scenario("ssh-rdp-brute-force");
    const r = runner(account);
    expect(await r.run(archiveFinding, { detectorId: DETECTOR, findingId: FINDING }, { stepId: "post-incident/archive-the-finding" })).toMatchObject({ wasArchived: false });
    expect(await r.run(archiveFinding, { detectorId: DETECTOR, findingId: FINDING }, { incidentId: "inc-20261124-0002abcd", stepId: "post-incident/archive-the-finding" })).toMatchObject({ wasArchived: true });
    await r.run(sendFeedback, { detectorId: DETECTOR, findingId: FINDING, feedback: "USEFUL", comments: "blocked" }, { stepId: "post-incident/feedback" });
    expect(account.snapshot().guardduty.detectors[DETECTOR]?.findings[FINDING]).toEqual({ type: "UnauthorizedAccess:EC2/SSHBruteForce", severity: 2, archived: true, feedback: "USEFUL", comments: "blocked" });
    await r.run(unarchiveFinding, { detectorId: DETECTOR, findingId: FINDING }, { stepId: "recover/unarchive" });
    expect(account.snapshot().guardduty.detectors[DETECTOR]?.findings[FINDING]?.archived).toBe(false);
    expect(account.mutations().map((c) => c.command)).toEqual(["ArchiveFindings", "UpdateFindingsFeedback", "UnarchiveFindings"]);
  });

  it("an unknown detector (GuardDuty's BadRequestException) and an unknown finding are NotFound", async () => {
    const { account } = await scenario("ssh-rdp-brute-force");
    const r = runner(account);
    expect(await failure(r.run(archiveFinding, { detectorId: "0".repeat(32), findingId: FINDING }))).toMatchObject({ name: "NotFound", detail: "BadRequestException" });
    expect(await failure(r.run(archiveFinding, { detectorId: DETECTOR, findingId: "f".repeat(32) }))).toMatchObject({ name: "NotFound" });
  });

  it("serves the event's finding in the SDK's shape", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const { GetFindingsCommand, GuardDutyClient } = await import("@aws-sdk/client-guardduty");
    const result = await account.clientProvider()(GuardDutyClient).send(new GetFindingsCommand({ DetectorId: "12abc34d567e8fa901bc2d34e56789f0", FindingIds: ["6ec5b8a4e2b1c0f3a9d7e6c5b4a39281"] }));
    const finding = result.Findings?.[0];
    expect(finding).toMatchObject({ Type: "Backdoor:EC2/C&CActivity.B", Severity: 8, Service: { Archived: false, Action: { NetworkConnectionAction: { ConnectionDirection: "OUTBOUND", RemoteIpDetails: { IpAddressV4: "198.51.100.23" } } } } });
    expect(finding?.Resource?.InstanceDetails?.InstanceId).toBe("i-0a1b2c3d4e5f67890");
  });
});
