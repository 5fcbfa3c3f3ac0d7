import { DeleteLoginProfileCommand, GetLoginProfileCommand, IAMClient, ListUserTagsCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/iam/disable-console-login.contract.js";
import task from "../../../functions/iam/disable-console-login.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { tags } from "./iam-fixtures.js";

const iam = mockClient(IAMClient);
const USER = "alice";
const CREATED = new Date("2025-03-01T10:00:00.000Z");

const expectedChange = {
  resource: `user/${USER}`,
  action: "DeleteLoginProfile",
  before: { loginProfile: true, createdAt: CREATED.toISOString(), passwordResetRequired: false },
  after: { loginProfile: false },
};

describe("iam.disable-console-login", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    iam.on(GetLoginProfileCommand).resolves({ LoginProfile: { UserName: USER, CreateDate: CREATED, PasswordResetRequired: false } });
    iam.on(DeleteLoginProfileCommand).resolves({});
  });
  afterEach(() => expectCallsDeclared(contract, { IAMClient: iam }));

  it("plans the removal of an existing password, removing nothing", async () => {
    const h = harness(task);
    const plan = await h.plan({ userName: USER });
    expect(plan.changes).toBe(1);
    expect(iam.commandCalls(DeleteLoginProfileCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.changes).toEqual([expectedChange]);
  });

  it("deletes the login profile, recording that it existed and when it was created", async () => {
    const h = harness(task);
    const output = await h.run({ userName: USER });
    expect(output).toEqual({ userName: USER, hadLoginProfile: true, profileCreatedAt: CREATED.toISOString() });
    expect(iam.commandCalls(GetLoginProfileCommand)[0]!.args[0].input).toEqual({ UserName: USER });
    expect(iam.commandCalls(DeleteLoginProfileCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([expectedChange]);
    expect(record!.undo).toEqual({ task: "iam.enable-console-login", input: { userName: USER } });
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({ userName: USER });
    expect(await h.run({ userName: USER })).toEqual(first);
    expect(iam.commandCalls(DeleteLoginProfileCommand)).toHaveLength(1);
  });

  it("converges on a user without a console password: nothing to disable, and says so", async () => {
    iam.on(GetLoginProfileCommand).rejects(awsError("NoSuchEntityException", 404, `Login Profile for User ${USER} cannot be found.`));
    const h = harness(task);
    expect((await h.plan({ userName: USER })).changes).toBe(0);
    const output = await h.run({ userName: USER }, { stepId: "contain/disable-again" });
    expect(output).toEqual({ userName: USER, hadLoginProfile: false, profileCreatedAt: null });
    expect(iam.commandCalls(DeleteLoginProfileCommand)).toHaveLength(0);
    const run = h.journal.all().find((r) => r.mode === "run")!;
    expect(run.summary).toMatch(/already had no console password/);
    expect(run.undo).toBeUndefined();
  });

  it("converges when the profile disappears between the read and the delete", async () => {
    iam.on(DeleteLoginProfileCommand).rejects(awsError("NoSuchEntityException", 404));
    const h = harness(task);
    await h.run({ userName: USER });
    expect(h.journal.all()[0]!.changes).toEqual([]);
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("maps throttling to Transient", async () => {
    iam.on(DeleteLoginProfileCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing user as NotFound with its name (not as a user without a password)", async () => {
    iam.on(ListUserTagsCommand).rejects(awsError("NoSuchEntityException", 404, "The user cannot be found."));
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(USER) });
    expect(iam.commandCalls(GetLoginProfileCommand)).toHaveLength(0);
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ userName: "' OR '1'='1' --" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });

  it("refuses a user tagged exempt unless the step allows it", async () => {
    iam.on(ListUserTagsCommand).resolves({ Tags: tags({ "irflow:exempt": "1" }) });
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(iam.commandCalls(DeleteLoginProfileCommand)).toHaveLength(0);
    await expect(harness(task).run({ userName: USER }, { allowExempt: true })).resolves.toMatchObject({ hadLoginProfile: true });
  });
});
