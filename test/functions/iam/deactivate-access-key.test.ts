import { DeleteAccessKeyCommand, GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand, ListUserTagsCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/iam/deactivate-access-key.contract.js";
import task from "../../../functions/iam/deactivate-access-key.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { accessKey, KEY, KEY_CREATED, KEY_LAST_USED, lastUsed, OTHER_KEY, tags } from "./iam-fixtures.js";

const iam = mockClient(IAMClient);
const USER = "deploy-bot";

const expectedChange = {
  resource: KEY,
  action: "UpdateAccessKey Inactive",
  before: { userName: USER, status: "Active", createdAt: KEY_CREATED.toISOString(), lastUsedAt: KEY_LAST_USED.toISOString(), lastUsedService: "sts", lastUsedRegion: "us-east-1" },
  after: { userName: USER, status: "Inactive" },
};

describe("iam.deactivate-access-key", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(GetAccessKeyLastUsedCommand).resolves(lastUsed(USER, { at: KEY_LAST_USED, service: "sts", region: "us-east-1" }));
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [accessKey(USER, KEY, "Active"), accessKey(USER, OTHER_KEY, "Active")] });
    iam.on(ListUserTagsCommand).resolves({ Tags: tags({ team: "ci" }) });
    iam.on(UpdateAccessKeyCommand).resolves({});
  });
  afterEach(() => {
    expectCallsDeclared(contract, { IAMClient: iam });
    // Deactivate, never delete.
    expect(iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
  });

  it("plans the status change with the key's last use, changing nothing", async () => {
    const h = harness(task);
    const plan = await h.plan({ accessKeyId: KEY });
    expect(plan.changes).toBe(1);
    expect(plan.summary).toContain(KEY_LAST_USED.toISOString());
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.changes).toEqual([expectedChange]);
  });

  it("deactivates the key of the owner found from the key, recording last use and the undo", async () => {
    const h = harness(task);
    const output = await h.run({ accessKeyId: KEY });
    expect(output).toEqual({ userName: USER, accessKeyId: KEY, previousStatus: "Active" });
    expect(iam.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: "Inactive" }]);
    expect(iam.commandCalls(ListUserTagsCommand)[0]!.args[0].input).toEqual({ UserName: USER });
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([expectedChange]);
    expect(record!.undo).toEqual({ task: "iam.activate-access-key", input: { userName: USER, accessKeyId: KEY } });
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({ accessKeyId: KEY });
    expect(await h.run({ accessKeyId: KEY })).toEqual(first);
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(1);
  });

  it("converges on a key that is already inactive: nothing changes and the record says so", async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [accessKey(USER, KEY, "Inactive")] });
    const h = harness(task);
    expect((await h.plan({ accessKeyId: KEY, userName: USER })).changes).toBe(0);
    const output = await h.run({ accessKeyId: KEY, userName: USER }, { stepId: "contain/deactivate-again" });
    expect(output.previousStatus).toBe("Inactive");
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    const run = h.journal.all().find((r) => r.mode === "run")!;
    expect(run.summary).toMatch(/already Inactive/);
    expect(run.undo).toBeUndefined();
  });

  it("refuses a userName that does not own the key, touching nothing", async () => {
    await expect(harness(task).run({ accessKeyId: KEY, userName: "alice" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    iam.on(UpdateAccessKeyCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ accessKeyId: KEY })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing key as NotFound with its id", async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [accessKey(USER, OTHER_KEY, "Active")] });
    await expect(harness(task).run({ accessKeyId: KEY, userName: USER })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(KEY) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ accessKeyId: "AKIA123" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ accessKeyId: "ASIAIOSFODNN7EXAMPLE" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });

  it("refuses a user tagged exempt unless the step allows it", async () => {
    iam.on(ListUserTagsCommand).resolves({ Tags: tags({ "irflow:exempt": "true" }) });
    await expect(harness(task).run({ accessKeyId: KEY })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    await expect(harness(task).run({ accessKeyId: KEY }, { allowExempt: true })).resolves.toMatchObject({ previousStatus: "Active" });
  });
});
