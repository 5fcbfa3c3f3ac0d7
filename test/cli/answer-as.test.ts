import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suggestAnswerer, answerAsFor, type AnswerAs } from "../../cli/commands/answer-as.js";
import { identityFlags } from "../../cli/commands/approval-lines.js";
import { UsageError } from "../../cli/usage-error.js";
import type { IdentitiesFile } from "../../workflows/local/incident/local-identities.js";
import { tempDir } from "../support/temp-dir.js";

const step = (approvers: string[] = ["arn:aws:iam::*:role/IncidentResponder"], requester = "event:aws.guardduty") => ({ approvers, requester });
const as = (you: string, identities: IdentitiesFile["identities"] = {}, roles: string[] = [], accountId?: string): AnswerAs => ({ you, roles, identities: { identities, ...(accountId ? { accountId } : {}) } });
const flags = (...args: Parameters<typeof suggestAnswerer>) => identityFlags(suggestAnswerer(...args));

describe("whom a printed approve/reject command answers as", () => {
  it("without an identities file: the person at this terminal, claiming the step's role explicitly", () => {
    expect(flags(step(), "approve", as("root"))).toBe(" --as root --role IncidentResponder");
    expect(flags(step(), "reject", as("root"))).toBe(" --as root --role IncidentResponder");
  });

  it("prefers the roles the run was given, when they may answer", () => {
    const both = step(["arn:aws:iam::*:role/IncidentResponder", "arn:aws:iam::*:role/IncidentLead"]);
    expect(flags(both, "approve", as("root", {}, ["IncidentLead"]))).toBe(" --as root --role IncidentLead");
    expect(flags(both, "approve", as("root", {}, ["Auditor"]))).toBe(" --as root --role IncidentResponder");
  });

  it("with an identities file: a listed name gets a role the file gives it; one without an allowed role is not suggested, a listed approver is", () => {
    expect(flags(step(), "approve", as("alice", { alice: ["IncidentLead", "IncidentResponder"] }))).toBe(" --as alice --role IncidentResponder");
    expect(flags(step(), "approve", as("ALICE", { alice: ["IncidentResponder"] }))).toBe(" --as ALICE --role IncidentResponder");
    expect(flags(step(), "approve", as("carol", { carol: ["Auditor"], bob: ["IncidentResponder"] }))).toBe(" --as bob --role IncidentResponder");
    // Nobody irflow knows of may answer: the flags are named, the name left to fill in.
    expect(suggestAnswerer(step(), "approve", as("carol", { carol: ["Auditor"] }))).toEqual({ name: "<name>", role: "IncidentResponder", placeholder: true });
  });

  it("a role pinned as an ARN of a named account, and an approver pattern of one account, are suggested as irflow approve will match them", () => {
    const arn = "arn:aws:iam::123456789012:role/IncidentResponder";
    expect(flags(step(), "approve", as("bob", { bob: [arn] }))).toBe(` --as bob --role ${arn}`);
    expect(flags(step([arn]), "approve", as("root"))).toBe(` --as root --role ${arn}`);
    expect(flags(step([arn]), "approve", as("root", {}, [], "123456789012"))).toBe(" --as root --role IncidentResponder");
  });

  it("the requester of a manual start is not suggested to approve its own step (another listed approver is), but may reject it", () => {
    expect(suggestAnswerer(step(undefined, "alice"), "approve", as("alice")).placeholder).toBe(true);
    expect(flags(step(undefined, "alice"), "approve", as("alice", { bob: ["IncidentResponder"] }))).toBe(" --as bob --role IncidentResponder");
    expect(flags(step(undefined, "alice"), "reject", as("alice"))).toBe(" --as alice --role IncidentResponder");
    // Whether this terminal would be asked does not depend on who requested it.
    expect(flags(step(undefined, "alice"), "asked", as("alice"))).toBe(" --as alice --role IncidentResponder");
  });

  it("quotes a name the shell would split; without an identity to suggest, names the flags to fill in", () => {
    expect(flags(step(), "approve", as("Mary Ann"))).toBe(" --as 'Mary Ann' --role IncidentResponder");
    expect(flags(step(), "approve", undefined)).toBe(" --as <name> --role IncidentResponder");
  });

  it("reads the run's identities file; a malformed one is a usage error naming it", async () => {
    const dir = tempDir("irflow-answer-as-");
    expect(await answerAsFor({ dir, as: " bob ", role: ["IncidentLead"] }, "root")).toEqual({ you: "bob", roles: ["IncidentLead"], identities: { identities: {} } });
    writeFileSync(join(dir, "identities.yaml"), "identities:\n  bob: [IncidentResponder]\n");
    expect((await answerAsFor({ dir }, "root")).identities.identities).toEqual({ bob: ["IncidentResponder"] });
    writeFileSync(join(dir, "identities.yaml"), "identities:\n  bob: [not a role!]\n");
    await expect(answerAsFor({ dir }, "root")).rejects.toThrow(UsageError);
    await expect(answerAsFor({ dir }, "root")).rejects.toThrow(/identities\.yaml:2:\d+: identities\.bob\.0/);
  });
});
