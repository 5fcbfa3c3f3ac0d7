import { GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/iam/describe-access-key.contract.js";
import task from "../../../functions/iam/describe-access-key.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { accessKey, KEY, KEY_CREATED, KEY_LAST_USED, lastUsed, OTHER_KEY } from "./iam-fixtures.js";

const iam = mockClient(IAMClient);
const USER = "deploy-bot";

describe("iam.describe-access-key", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(GetAccessKeyLastUsedCommand).resolves(lastUsed(USER, { at: KEY_LAST_USED, service: "s3", region: "eu-west-1" }));
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [accessKey(USER, KEY, "Active"), accessKey(USER, OTHER_KEY, "Inactive", new Date("2026-11-24T10:00:00Z"))], IsTruncated: false });
  });
  afterEach(() => expectCallsDeclared(contract, { IAMClient: iam }));

  it("finds the owner from the key and describes status, age, last use and the user's other key", async () => {
    const h = harness(task);
    const output = await h.run({ accessKeyId: KEY });
    expect(iam.commandCalls(GetAccessKeyLastUsedCommand)[0]!.args[0].input).toEqual({ AccessKeyId: KEY });
    expect(iam.commandCalls(ListAccessKeysCommand)[0]!.args[0].input).toEqual({ UserName: USER });
    expect(output).toEqual({
      accessKeyId: KEY,
      userName: USER,
      status: "Active",
      createdAt: KEY_CREATED.toISOString(),
      ageDays: 90,
      lastUsedAt: KEY_LAST_USED.toISOString(),
      lastUsedService: "s3",
      lastUsedRegion: "eu-west-1",
      otherKeys: [{ accessKeyId: OTHER_KEY, status: "Inactive", createdAt: "2026-11-24T10:00:00.000Z" }],
    });
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([]);
    expect(record!.evidence).toHaveLength(1);
    expect(record!.evidence[0]).toMatchObject({ kind: "iam-key-activity", location: `iam:access-key/${KEY}`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(record!.evidence[0]!.description).toContain("s3");
  });

  it("leaves the last-use fields empty for a key never used (IAM says N/A)", async () => {
    iam.on(GetAccessKeyLastUsedCommand).resolves(lastUsed(USER));
    const output = await harness(task).run({ accessKeyId: KEY, userName: USER });
    expect(output).toMatchObject({ lastUsedAt: null, lastUsedService: null, lastUsedRegion: null });
  });

  it("follows ListAccessKeys pagination", async () => {
    iam.on(ListAccessKeysCommand)
      .resolvesOnce({ AccessKeyMetadata: [accessKey(USER, OTHER_KEY, "Active")], IsTruncated: true, Marker: "m1" })
      .resolvesOnce({ AccessKeyMetadata: [accessKey(USER, KEY, "Inactive")], IsTruncated: false });
    const output = await harness(task).run({ accessKeyId: KEY });
    expect(output.status).toBe("Inactive");
    expect(iam.commandCalls(ListAccessKeysCommand)[1]!.args[0].input).toEqual({ UserName: USER, Marker: "m1" });
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({ accessKeyId: KEY });
    expect(await h.run({ accessKeyId: KEY })).toEqual(first);
    expect(iam.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(1);
  });

  it("refuses a userName that does not own the key", async () => {
    await expect(harness(task).run({ accessKeyId: KEY, userName: "someone-else" })).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining(USER) });
    expect(iam.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
  });

  it("reports a key that is not among its owner's keys as NotFound with its id", async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [accessKey(USER, OTHER_KEY, "Active")] });
    await expect(harness(task).run({ accessKeyId: KEY })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(KEY) });
  });

  it("says that AccessDenied may also mean a key from another account", async () => {
    iam.on(GetAccessKeyLastUsedCommand).rejects(awsError("AccessDenied", 403));
    await expect(harness(task).run({ accessKeyId: KEY })).rejects.toMatchObject({ name: "Forbidden", message: expect.stringContaining("not in this account") });
  });

  it("maps throttling to Transient", async () => {
    iam.on(ListAccessKeysCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ accessKeyId: KEY })).rejects.toMatchObject({ name: "Transient" });
  });

  it("refuses bad input (a temporary ASIA key, an injected name) before any AWS call", async () => {
    await expect(harness(task).run({ accessKeyId: "ASIAIOSFODNN7EXAMPLE" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ accessKeyId: KEY, userName: "a b; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });
});
