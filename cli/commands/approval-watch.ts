import type { ApprovalView } from "../../functions/approval/approval.js";
import type { ApprovalDesk } from "../../workflows/local/incident/approval-desk.js";

export interface ApprovalWatchOptions {
  readonly desk: Pick<ApprovalDesk, "list" | "get">;
  /** Whether an approval belongs to this run (the store may hold other runs' approvals too). */
  readonly ours: (approval: ApprovalView) => boolean;
  readonly onRequested: (approval: ApprovalView) => void;
  /** A vote that did not decide yet (a two-person step's first approval). */
  readonly onVoted?: (approval: ApprovalView) => void;
  /** Approved, rejected, timed out (expired) or withdrawn (the incident was aborted). */
  readonly onEnded: (approval: ApprovalView) => void;
  readonly pollMs?: number;
}

/**
 * Follows this run's approvals in the store, wherever they are answered (this terminal, another
 * one, the desk's expiry, an abort), so the run's progress says when each is asked for and how
 * it ended. Polls: answers from other processes reach the store, not this one.
 */
export class ApprovalWatch {
  private readonly waiting = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> = Promise.resolve();

  constructor(private readonly options: ApprovalWatchOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.look(), this.options.pollMs ?? 100);
  }

  /** One last look (an approval that ended as the run did is still reported), then no more. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.look();
  }

  /** Looks are chained: two never overlap, so nothing is reported twice. */
  look(): Promise<void> {
    this.looking = this.looking.then(() => this.once()).catch(() => undefined);
    return this.looking;
  }

  private async once(): Promise<void> {
    const pending = (await this.options.desk.list()).filter((approval) => this.options.ours(approval));
    const seen = new Set<string>();
    for (const approval of pending) {
      seen.add(approval.id);
      const votes = this.waiting.get(approval.id);
      if (votes === undefined) this.options.onRequested(approval);
      else if (approval.votes.length > votes) this.options.onVoted?.(approval);
      this.waiting.set(approval.id, approval.votes.length);
    }
    for (const id of [...this.waiting.keys()].filter((id) => !seen.has(id))) {
      const approval = await this.options.desk.get(id);
      if (approval?.status === "pending") continue;
      this.waiting.delete(id);
      if (approval) this.options.onEnded(approval);
    }
  }
}
