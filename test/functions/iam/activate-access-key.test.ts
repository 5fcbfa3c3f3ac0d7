import { GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand, ListUserTagsCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/iam/activate-access-key.contract.js";
import task from "../../../functions/iam/activate-access-key.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { accessKey, KEY, KEY_CREATED, lastUsed, tags } from "./iam-fixtures.js";

const iam = mockClient(IAMClient);
const USER = "deploy-bot";

describe("iam.activate-access-key", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(GetAccessKeyLastUsedCommand).resolves(lastUsed(USER));
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [accessKey(USER, KEY, "Inactive")] });
    iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    iam.on(UpdateAccessKeyCommand).resolves({});
  });
  afterEach(() => expectCallsDeclared(contract, { IAMClient: iam }));

  it("plans the reactivation without changing anything", async () => {
    const h = harness(task);
    const plan = await h.plan({ accessKeyId: KEY, userName: USER });
    expect(plan.changes).toBe(1);
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.changes).toEqual([
      {
        resource: KEY,
        action: "UpdateAccessKey Active",
        before: { userName: USER, status: "Inactive", createdAt: KEY_CREATED.toISOString(), lastUsedAt: null, lastUsedService: null, lastUsedRegion: null },
        after: { userName: USER, status: "Active" },
      },
    ]);
  });

  it("reactivates the key and records the undo", async () => {
    const h = harness(task);
    const output = await h.run({ accessKeyId: KEY });
    expect(output).toEqual({ userName: USER, accessKeyId: KEY, previousStatus: "Inactive" });
    expect(iam.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: "Active" }]);
    const [record] = h.journal.all();
    expect(record!.changes).toHaveLength(1);
    expect(record!.undo).toEqual({ task: "iam.deactivate-access-key", input: { userName: USER, accessKeyId: KEY } });
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({ accessKeyId: KEY });
    expect(await h.run({ accessKeyId: KEY })).toEqual(first);
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(1);
  });

  it("converges on a key that is already active", async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [accessKey(USER, KEY, "Active")] });
    const h = harness(task);
    const output = await h.run({ accessKeyId: KEY }, { stepId: "recover/activate-again" });
    expect(output.previousStatus).toBe("Active");
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already Active/);
  });

  it("refuses to activate an expired key", async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [accessKey(USER, KEY, "Expired")] });
    await expect(harness(task).run({ accessKeyId: KEY })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    iam.on(GetAccessKeyLastUsedCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ accessKeyId: KEY })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing key as NotFound with its id", async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    await expect(harness(task).run({ accessKeyId: KEY })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(KEY) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ accessKeyId: "akiaiosfodnn7example" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });

  it("refuses a user tagged exempt unless the step allows it", async () => {
    iam.on(ListUserTagsCommand).resolves({ Tags: tags({ critical: "true" }) });
    await expect(harness(task).run({ accessKeyId: KEY })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    await expect(harness(task).run({ accessKeyId: KEY }, { allowExempt: true })).resolves.toMatchObject({ previousStatus: "Inactive" });
  });
});
