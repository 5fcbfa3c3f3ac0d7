/**
 * The run's approval progress: this process's approval events reported as the desk tells them (no
 * poll needed, so one asked and answered between two polls is still announced), in order, once;
 * a poll still finds what no hook tells (a vote cast in another process), and stop() looks once more.
 */
import { describe, expect, it } from "vitest";
import type { ApprovalView } from "../../functions/approval/approval.js";
import { ApprovalWatch, type ApprovalWatchOptions } from "../../cli/commands/approval-watch.js";
import type { ApprovalEvent, TaskAnswerPort } from "../../workflows/local/incident/approval-desk.js";
import { SqliteApprovalDesk } from "../../workflows/local/incident/sqlite-approval-desk.js";
import { approval, at, DIGEST, lead, request } from "../functions/approval/fixtures.js";
import { useTempDatabases } from "../local/store/support.js";

const temp = useTempDatabases();
/** Longer than any test: a report can only come from the desk's hooks, or a look the test makes. */
const NEVER = 3_600_000;

function engine() {
  const told: string[] = [];
  const gone = new Set<string>();
  const port: TaskAnswerPort = {
    sendTaskSuccess: (token) => void told.push(`success ${token}`),
    sendTaskFailure: (token) => void told.push(`failure ${token}`),
    isWaiting: (token) => !gone.has(token),
  };
  return { port, told, gone };
}

/** The run's process (its desk holds the engine) and a responder's (`irflow approve`: its own connection, no engine). */
function twoProcesses(options: { runPollMs?: number; now?: () => Date } = {}) {
  const dir = temp.dir();
  const now = options.now ?? (() => at(60));
  const run = engine();
  const runDesk = new SqliteApprovalDesk(temp.open(dir), { answers: run.port, now, pollMs: options.runPollMs ?? 0 });
  const responderDesk = new SqliteApprovalDesk(temp.open(dir), { now, pollMs: 0 });
  return { run, runDesk, responderDesk };
}

function watching(desk: ApprovalWatchOptions["desk"], more: Partial<ApprovalWatchOptions> = {}) {
  const seen: string[] = [];
  const watch = new ApprovalWatch({
    desk,
    ours: () => true,
    onRequested: (a) => seen.push(`requested ${a.status}`),
    onVoted: (a) => seen.push(`voted ${a.votes.map((v) => v.by).join(",")}`),
    onEnded: (a) => seen.push(`ended ${a.status}`),
    pollMs: NEVER,
    ...more,
  });
  return { watch, seen };
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const answer = (name: string, reason = `${name} agrees`) => ({ as: lead(name), reason, digest: DIGEST });

describe("ApprovalWatch with the desk's hooks", () => {
  it("an approval asked and answered at this terminal with no poll in between is reported asked, then approved, once each", async () => {
    const { runDesk } = twoProcesses();
    const { watch, seen } = watching(runDesk);
    watch.start();
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    expect(seen).toEqual(["requested pending"]);
    await runDesk.approve(approvalId, answer("alice"));
    expect(seen).toEqual(["requested pending", "ended approved"]);
    // The last look and a later one find nothing new: nothing is reported twice.
    await watch.stop();
    await watch.look();
    expect(seen).toEqual(["requested pending", "ended approved"]);
    runDesk.close();
  });

  it("an answer from another terminal is reported when this process resumes the workflow with it, not at the watch's next poll", async () => {
    const { run, runDesk, responderDesk } = twoProcesses({ runPollMs: 10 });
    const { watch, seen } = watching(runDesk);
    watch.start();
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    await responderDesk.reject(approvalId, { as: lead("bob"), reason: "not that host" });
    await until(() => run.told.length === 1);
    expect(seen).toEqual(["requested pending", "ended rejected"]);
    await watch.stop();
    expect(seen).toEqual(["requested pending", "ended rejected"]);
    runDesk.close();
  });

  it("a first vote cast in another process (no hook here) is found by a poll; the decisive one at this terminal is told at once", async () => {
    const { run, runDesk, responderDesk } = twoProcesses();
    const { watch, seen } = watching(runDesk);
    watch.start();
    const { approvalId } = await runDesk.request(request({ requiredApprovals: 2 }), "manual", { requester: "event:aws.guardduty" });
    await responderDesk.approve(approvalId, answer("alice"));
    expect(seen).toEqual(["requested pending"]);
    await watch.look();
    expect(seen).toEqual(["requested pending", `voted ${lead("alice").actor}`]);
    await runDesk.approve(approvalId, answer("carol"));
    expect(run.told).toHaveLength(1);
    expect(seen).toEqual(["requested pending", `voted ${lead("alice").actor}`, "ended approved"]);
    await watch.stop();
    expect(seen).toHaveLength(3);
    runDesk.close();
  });

  it("a first vote at this terminal is told too, before the end", async () => {
    const { runDesk } = twoProcesses();
    const { watch, seen } = watching(runDesk);
    watch.start();
    const { approvalId } = await runDesk.request(request({ requiredApprovals: 2 }), "manual", { requester: "event:aws.guardduty" });
    await runDesk.approve(approvalId, answer("alice"));
    await runDesk.reject(approvalId, { as: lead("bob"), reason: "no" });
    expect(seen).toEqual(["requested pending", `voted ${lead("alice").actor}`, "ended rejected"]);
    await watch.stop();
    runDesk.close();
  });

  it("expiry (the desk's sweep) and withdrawal (an abort) are reported as they happen", async () => {
    let clock = at(60);
    const { runDesk } = twoProcesses({ now: () => clock });
    const { watch, seen } = watching(runDesk);
    watch.start();
    await runDesk.request(request({ timeoutSeconds: 100, taskToken: "t-expires" }), "manual", { requester: "event:aws.guardduty" });
    const other = request({ taskToken: "t-aborted", stepId: "contain/other", executionId: "arn:exec:other" });
    await runDesk.request(other, "manual", { requester: "event:aws.guardduty" });
    clock = at(60 + 101);
    await runDesk.sweep();
    expect(seen).toEqual(["requested pending", "requested pending", "ended expired"]);
    await runDesk.withdraw(["arn:exec:other"], { by: "carol", reason: "wrong host" });
    expect(seen).toEqual(["requested pending", "requested pending", "ended expired", "ended withdrawn"]);
    // One requested by an execution already aborted is closed as it is asked: never announced at all.
    await runDesk.request({ ...other, taskToken: "t-late", stepId: "contain/late" }, "manual", { requester: "event:aws.guardduty" });
    await watch.stop();
    expect(seen).toHaveLength(4);
    runDesk.close();
  });

  it("stop() still looks once more: an end no hook told (another process answered, this desk not polling) is reported", async () => {
    const { runDesk, responderDesk } = twoProcesses();
    const { watch, seen } = watching(runDesk);
    watch.start();
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    await responderDesk.approve(approvalId, answer("alice"));
    expect(seen).toEqual(["requested pending"]);
    await watch.stop();
    expect(seen).toEqual(["requested pending", "ended approved"]);
    // Stopped: the desk's later events are no longer this watch's.
    await runDesk.request(request({ taskToken: "t-2", stepId: "contain/two" }), "manual", { requester: "event:aws.guardduty" });
    expect(seen).toHaveLength(2);
    runDesk.close();
  });

  it("a watch that throws never fails the desk's work", async () => {
    const { run, runDesk } = twoProcesses();
    const { watch } = watching(runDesk, {
      onRequested: () => {
        throw new Error("terminal gone");
      },
    });
    watch.start();
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    await expect(runDesk.approve(approvalId, answer("alice"))).resolves.toMatchObject({ decision: "approved" });
    expect(run.told).toEqual(["success secret-task-token-123"]);
    await watch.stop();
    runDesk.close();
  });
});

describe("ApprovalWatch ordering between hooks and a look under way", () => {
  /** A desk whose list() answers when the test says, with what the store held when it was called. */
  function fakeDesk() {
    let listener: ((event: ApprovalEvent) => void) | undefined;
    let listed: (views: ApprovalView[]) => void = () => undefined;
    const stored = new Map<string, ApprovalView>();
    const desk: ApprovalWatchOptions["desk"] = {
      list: () => new Promise<ApprovalView[]>((resolve) => (listed = resolve)),
      get: (id) => Promise.resolve(stored.get(id)),
      subscribe: (l) => {
        listener = l;
        return () => (listener = undefined);
      },
    };
    return { desk, stored, tell: (event: ApprovalEvent) => listener?.(event), answerList: (views: ApprovalView[]) => listed(views) };
  }

  it("a look that read the store before a vote and the end were told reports neither again, nor the ask twice", async () => {
    const { desk, stored, tell, answerList } = fakeDesk();
    const { watch, seen } = watching(desk);
    watch.start();
    const asked = approval({ requiredApprovals: 2 });
    tell({ kind: "requested", approval: asked });
    const look = watch.look();
    await Promise.resolve();
    const voted = { ...asked, votes: [{ by: "alice", reason: "ok", at: "t" }] };
    tell({ kind: "voted", approval: voted });
    const ended = { ...voted, status: "rejected" as const, rejection: { by: "bob", reason: "no", at: "t" } };
    stored.set(asked.id, ended);
    tell({ kind: "ended", approval: ended });
    // The look's read: from before the vote.
    answerList([asked]);
    await look;
    expect(seen).toEqual(["requested pending", "voted alice", "ended rejected"]);
    const last = watch.stop();
    await Promise.resolve();
    answerList([]);
    await last;
    expect(seen).toHaveLength(3);
  });

  it("what the desk told before the run knew the execution as its own is reported, in order, once it does; another run's lone end never", async () => {
    const { desk, tell, answerList } = fakeDesk();
    const mine = new Set<string>();
    const { watch, seen } = watching(desk, { ours: (a) => mine.has(a.executionId) });
    watch.start();
    const asked = approval();
    tell({ kind: "requested", approval: asked });
    tell({ kind: "ended", approval: { ...asked, status: "approved", votes: [{ by: "alice", reason: "ok", at: "t" }] } });
    tell({ kind: "ended", approval: { ...approval({ executionId: "arn:exec:someone-else" }), id: "apr-other", status: "expired" } });
    expect(seen).toEqual([]);
    mine.add(asked.executionId);
    mine.add("arn:exec:someone-else");
    const last = watch.stop();
    await Promise.resolve();
    answerList([]);
    await last;
    expect(seen).toEqual(["requested pending", "ended approved"]);
  });
});
