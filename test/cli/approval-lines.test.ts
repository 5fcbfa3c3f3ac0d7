import { describe, expect, it } from "vitest";
import type { ApprovalView } from "../../functions/approval/approval.js";
import { answerCommands, endedLine, requestLines, roleNames, storeFlags } from "../../cli/commands/approval-lines.js";
import { ApprovalWatch } from "../../cli/commands/approval-watch.js";

const approval = (more: Partial<ApprovalView> = {}): ApprovalView => ({
  id: "apr-1",
  incidentId: "inc-1",
  executionId: "arn:exec:contain",
  runbookId: "x",
  stepId: "contain/isolate",
  stepTitle: "Isolate the instance",
  task: "ec2.isolate-instance",
  risk: "reversible",
  plans: [{ digest: "a".repeat(64), summary: "isolate i-1", changes: 1 }],
  digest: "0123456789abcdef".repeat(4),
  approvers: ["arn:aws:iam::*:role/IncidentResponder", "arn:aws:iam::*:role/IncidentLead"],
  requiredApprovals: 1,
  requester: "event:aws.guardduty",
  requestedAt: "2026-11-25T00:00:00Z",
  deadline: "2026-11-25T00:30:00Z",
  timeoutSeconds: 1800,
  onTimeout: "abort",
  escalation: false,
  status: "pending",
  votes: [],
  ...more,
});

describe("approval lines", () => {
  it("the commands to answer from another terminal carry the digest prefix and this run's store", () => {
    expect(answerCommands(approval(), storeFlags({ dir: "/tmp/my state" }, "/default"), { you: "root", roles: [], identities: { identities: {} } })).toEqual([
      `  irflow approve apr-1 --digest 0123456789ab --reason "…" --as root --role IncidentResponder --dir '/tmp/my state'`,
      `  irflow reject apr-1 --reason "…" --as root --role IncidentResponder --dir '/tmp/my state'`,
    ]);
    expect(storeFlags({ dir: "/default" }, "/default")).toBe("");
    expect(storeFlags({ dir: "/default", db: "x.db" }, "/default")).toBe(" --db x.db");
    expect(roleNames(approval().approvers)).toEqual(["IncidentResponder", "IncidentLead"]);
  });

  it("how each approval ended, by whom and why", () => {
    expect(endedLine(approval({ status: "approved", votes: [{ by: "bob", reason: "ok", at: "t" }] }))).toBe("approved: Isolate the instance by bob: ok");
    expect(endedLine(approval({ status: "rejected", rejection: { by: "bob", reason: "not that host", at: "t" } }))).toBe("rejected: Isolate the instance by bob: not that host");
    expect(endedLine(approval({ status: "expired" }))).toBe("timed out: Isolate the instance: nobody answered by 2026-11-25T00:30:00Z (on timeout: abort)");
    expect(endedLine(approval({ status: "withdrawn", withdrawal: { by: "carol", reason: "wrong host", at: "t" } }))).toBe("withdrawn: Isolate the instance: the incident was aborted by carol: wrong host");
  });

  it("prints no recorded name, reason or plan as a control sequence or a forged line", () => {
    const controls = (line: string) => [...line].filter((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));
    const hostile = "ok \u001b[31mRED\u001b[0m\r\nFAKE: approved by ciso\u001b]0;pwned\u0007";
    const lines = [
      endedLine(approval({ status: "approved", votes: [{ by: "bob\u001b[8m", reason: hostile, at: "t" }] })),
      endedLine(approval({ status: "rejected", rejection: { by: "eve", reason: hostile, at: "t" } })),
      endedLine(approval({ status: "withdrawn", withdrawal: { by: "eve\u001b[8m", reason: hostile, at: "t" } })),
      ...requestLines(approval({ stepTitle: `Isolate\u001b[2J`, requester: "alice\r\nFAKE", plans: [{ digest: "a".repeat(64), summary: hostile, changes: 1 }] })),
      ...answerCommands(approval(), "", { you: "mallory\u001b[8m", roles: ["IncidentResponder"], identities: { identities: {} } }),
    ];
    for (const line of lines) expect(controls(line)).toEqual([]);
    expect(lines[0]).toBe("approved: Isolate the instance by bob\\x1b[8m: ok \\x1b[31mRED\\x1b[0m\\x0d\\x0aFAKE: approved by ciso\\x1b]0;pwned\\x07");
    expect(lines.join("\n")).toContain("requested by alice\\x0d\\x0aFAKE");
  });
});

describe("ApprovalWatch", () => {
  it("reports this run's approvals once when requested, a first vote, and once when they end; other runs' are not shown", async () => {
    let pending = [approval(), approval({ id: "apr-other", executionId: "arn:exec:someone-else" })];
    const stored = new Map<string, ApprovalView>();
    const seen: string[] = [];
    const watch = new ApprovalWatch({
      desk: { list: () => Promise.resolve(pending), get: (id) => Promise.resolve(stored.get(id)) },
      ours: (a) => a.executionId === "arn:exec:contain",
      onRequested: (a) => seen.push(`requested ${a.id}`),
      onVoted: (a) => seen.push(`voted ${a.id} ${a.votes.length}`),
      onEnded: (a) => seen.push(`ended ${a.id} ${a.status}`),
    });
    await watch.look();
    await watch.look();
    pending = [approval({ votes: [{ by: "bob", reason: "ok", at: "t" }] })];
    await watch.look();
    pending = [];
    stored.set("apr-1", approval({ status: "expired" }));
    await watch.stop();
    await watch.look();
    expect(seen).toEqual(["requested apr-1", "voted apr-1 1", "ended apr-1 expired"]);
  });
});
