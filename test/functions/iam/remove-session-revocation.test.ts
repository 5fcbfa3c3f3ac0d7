import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListRoleTagsCommand,
  ListUserTagsCommand,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/iam/remove-session-revocation.contract.js";
import task from "../../../functions/iam/remove-session-revocation.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { revocationDocument, tags } from "./iam-fixtures.js";

const iam = mockClient(IAMClient);
const USER = "alice";
const ROLE = "web-instance-role";
const POLICY = "AWSRevokeOlderSessions";
const CUTOFF = "2026-11-24T11:00:00.000Z";

describe("iam.remove-session-revocation", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    iam.on(ListRoleTagsCommand).resolves({ Tags: [] });
    iam.on(GetUserPolicyCommand).resolves({ UserName: USER, PolicyName: POLICY, PolicyDocument: revocationDocument(CUTOFF) });
    iam.on(GetRolePolicyCommand).resolves({ RoleName: ROLE, PolicyName: POLICY, PolicyDocument: revocationDocument(CUTOFF) });
    iam.on(DeleteUserPolicyCommand).resolves({});
    iam.on(DeleteRolePolicyCommand).resolves({});
  });
  afterEach(() => expectCallsDeclared(contract, { IAMClient: iam }));

  it("plans the removal with the cut-off approvers must see, deleting nothing", async () => {
    const h = harness(task);
    const plan = await h.plan({ roleName: ROLE, policyName: POLICY });
    expect(plan.changes).toBe(1);
    expect(plan.summary).toContain(CUTOFF);
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.changes).toEqual([{ resource: `role/${ROLE}`, action: `DeleteRolePolicy ${POLICY}`, before: { policyName: POLICY, revokedBefore: CUTOFF }, after: null }]);
  });

  it("deletes a user's revocation and records what it removed", async () => {
    const h = harness(task);
    const output = await h.run({ userName: USER, policyName: POLICY });
    expect(output).toEqual({ userName: USER, roleName: null, policyName: POLICY, removed: true, revokedBefore: CUTOFF });
    expect(iam.commandCalls(DeleteUserPolicyCommand)[0]!.args[0].input).toEqual({ UserName: USER, PolicyName: POLICY });
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([{ resource: `user/${USER}`, action: `DeleteUserPolicy ${POLICY}`, before: { policyName: POLICY, revokedBefore: CUTOFF }, after: null }]);
    // The contract declares no undo: re-revoking cuts off at a new time.
    expect(record!.undo).toBeUndefined();
  });

  it("deletes a role's revocation", async () => {
    await harness(task).run({ roleName: ROLE, policyName: POLICY });
    expect(iam.commandCalls(DeleteRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: ROLE, PolicyName: POLICY });
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({ userName: USER, policyName: POLICY });
    expect(await h.run({ userName: USER, policyName: POLICY })).toEqual(first);
    expect(iam.commandCalls(DeleteUserPolicyCommand)).toHaveLength(1);
  });

  it("converges when the policy is already gone, and says so", async () => {
    iam.on(GetUserPolicyCommand).rejects(awsError("NoSuchEntityException", 404));
    const h = harness(task);
    const output = await h.run({ userName: USER, policyName: POLICY }, { stepId: "recover/remove-again" });
    expect(output).toMatchObject({ userName: USER, removed: false, revokedBefore: null });
    expect(iam.commandCalls(DeleteUserPolicyCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already/);
    expect(h.journal.all()[0]!.changes).toEqual([]);
  });

  it("refuses to delete a policy that is not a pure session revocation", async () => {
    const mixed = encodeURIComponent(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Deny", Action: "*", Resource: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": CUTOFF } } },
          { Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
        ],
      }),
    );
    iam.on(GetUserPolicyCommand).resolves({ UserName: USER, PolicyName: "team-access", PolicyDocument: mixed });
    await expect(harness(task).run({ userName: USER, policyName: "team-access" })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(iam.commandCalls(DeleteUserPolicyCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    iam.on(DeleteRolePolicyCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ roleName: ROLE, policyName: POLICY })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing user as NotFound with its name", async () => {
    iam.on(ListUserTagsCommand).rejects(awsError("NoSuchEntityException", 404, "The user with name alice cannot be found."));
    await expect(harness(task).run({ userName: USER, policyName: POLICY })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(USER) });
    expect(iam.commandCalls(GetUserPolicyCommand)).toHaveLength(0);
  });

  it("refuses bad input (both principals, neither, a bad name) before any AWS call", async () => {
    await expect(harness(task).run({ userName: USER, roleName: ROLE, policyName: POLICY })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ policyName: POLICY })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ userName: USER, policyName: "x; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });

  it("refuses a role tagged exempt unless the step allows it", async () => {
    iam.on(ListRoleTagsCommand).resolves({ Tags: tags({ "irflow:exempt": "yes" }) });
    await expect(harness(task).run({ roleName: ROLE, policyName: POLICY })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    await expect(harness(task).run({ roleName: ROLE, policyName: POLICY }, { allowExempt: true })).resolves.toMatchObject({ removed: true });
  });
});
