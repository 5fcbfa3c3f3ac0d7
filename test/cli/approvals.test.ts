/** `irflow approvals / approve / reject` as a responder runs them in a second terminal, on a temporary state folder. */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SqliteApprovalDesk } from "../../workflows/local/incident/sqlite-approval-desk.js";
import { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { DIGEST, request } from "../functions/approval/fixtures.js";
import { tempDir } from "../support/temp-dir.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = tempDir("irflow-cli-approvals-");

function irflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["bin/irflow.mjs", ...args, "--dir", dir], { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: "1" }, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(new Error(`irflow ${args.join(" ")} did not exit normally: ${error.message}`));
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

describe("irflow approvals, approve, reject", { timeout: 150_000 }, () => {
  it("lists, shows, refuses with exit 1 and the reason, approves with exit 0", async () => {
    writeFileSync(join(dir, "identities.yaml"), "identities:\n  alice: [IncidentLead]\n  bob: [IncidentResponder]\n");
    const database = EmbeddedDatabase.open({ dir });
    const desk = new SqliteApprovalDesk(database, { pollMs: 0, now: () => new Date() });
    const { approvalId } = await desk.request(request({ timeoutSeconds: 3600 }), "manual", { requester: "event:aws.guardduty", details: [[{ resource: "i-0abc", action: "ModifyInstanceAttribute groups", before: ["sg-web"], after: ["sg-quarantine"] }]] });
    database.close();

    const list = await irflow("approvals");
    expect(list).toMatchObject({ code: 0, stdout: expect.stringContaining(approvalId) });
    expect(list.stdout).toContain(`digest ${DIGEST.slice(0, 12)}`);
    expect(list.stdout).not.toContain("secret-task-token");
    // Who may answer, and that an answer names who answers as which role (without them it is refused).
    expect(list.stdout).toContain("requested by event:aws.guardduty; may answer: IncidentLead");
    expect(list.stdout).toContain("irflow approve <id> --digest <digest> --reason <why> --as <name> --role <role>");
    const json = JSON.parse((await irflow("approvals", "--json")).stdout) as { id: string }[];
    expect(json.map((a) => a.id)).toEqual([approvalId]);
    const show = await irflow("approvals", "show", approvalId);
    expect(show.stdout).toContain("after:  [\"sg-quarantine\"]");

    const wrongRole = await irflow("approve", approvalId, "--as", "bob", "--digest", DIGEST.slice(0, 12), "--reason", "ok");
    expect(wrongRole).toMatchObject({ code: 1, stderr: expect.stringContaining("refused (not-allowed)") });
    expect(wrongRole.stderr).not.toContain("did you mean");
    expect(wrongRole.stderr).not.toContain("with no role");
    const noRole = await irflow("approve", approvalId, "--as", "dave", "--digest", DIGEST.slice(0, 12), "--reason", "ok");
    expect(noRole).toMatchObject({ code: 1, stderr: expect.stringContaining("refused (not-allowed): dave may not answer") });
    expect(noRole.stderr).toContain(`dave answered with no role: name one the step allows (--role IncidentLead), or pin it to the name in ${join(dir, "identities.yaml")}`);
    const typo = await irflow("approve", approvalId, "--as", "carol", "--role", "IncidentLeads", "--digest", DIGEST.slice(0, 12), "--reason", "ok");
    expect(typo).toMatchObject({ code: 1, stderr: expect.stringContaining("refused (not-allowed): carol may not answer") });
    expect(typo.stderr).toContain("allowed: arn:aws:iam::*:role/IncidentLead (did you mean IncidentLead?)");
    const claimed = await irflow("approve", approvalId, "--as", "bob", "--role", "IncidentLead", "--digest", DIGEST.slice(0, 12), "--reason", "ok");
    expect(claimed).toMatchObject({ code: 2, stderr: expect.stringContaining("bob does not hold IncidentLead") });
    const mismatch = await irflow("approve", approvalId, "--as", "alice", "--digest", "0".repeat(12), "--reason", "ok");
    expect(mismatch).toMatchObject({ code: 1, stderr: expect.stringContaining("refused (digest-mismatch)") });
    expect((await irflow("approve", approvalId, "--as", "alice", "--reason", "ok")).code).toBe(2);

    const approved = await irflow("approve", approvalId, "--as", "alice", "--digest", DIGEST.slice(0, 12), "--reason", "host confirmed");
    expect(approved).toMatchObject({ code: 0, stdout: expect.stringContaining("approved") });
    const replay = await irflow("reject", approvalId, "--as", "alice", "--reason", "changed my mind");
    expect(replay).toMatchObject({ code: 1, stderr: expect.stringContaining("refused (already-decided)") });
    expect((await irflow("approvals")).stdout).toContain("no approvals waiting");
  });
});
