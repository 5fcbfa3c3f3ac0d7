import type { ApprovalView } from "../../functions/approval/approval.js";
import type { ApprovalDesk, ApprovalEvent } from "../../workflows/local/incident/approval-desk.js";

export interface ApprovalWatchOptions {
  /** With `subscribe`, this process's approval events are reported as they happen; polls find the rest. */
  readonly desk: Pick<ApprovalDesk, "list" | "get" | "subscribe">;
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
 * Follows this run's approvals, wherever they are answered (this terminal, another one, the desk's
 * expiry, an abort), so the run's progress says when each is asked for and how it ended, once each
 * and in that order. The desk tells what this process does as it happens (an answer from another
 * process included: this process resumes the workflow with it); a poll of the store finds what it
 * cannot tell (a first vote cast in another terminal) and stands in for a desk that tells nothing.
 */
export class ApprovalWatch {
  /** Announced as asked and not yet as ended, with the votes announced. */
  private readonly waiting = new Map<string, number>();
  /** Announced as ended: a look that read the store before that end does not announce it again. */
  private readonly ended = new Set<string>();
  /** Told by the desk and not announced yet: in order; one not known as this run's yet waits for a later try. */
  private readonly told: ApprovalEvent[] = [];
  private telling = false;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> = Promise.resolve();

  constructor(private readonly options: ApprovalWatchOptions) {}

  start(): void {
    this.unsubscribe ??= this.options.desk.subscribe?.((event) => {
      this.told.push(event);
      this.tell();
    });
    this.timer ??= setInterval(() => void this.look(), this.options.pollMs ?? 100);
  }

  /** One last look (an approval that ended as the run did is still reported), then no more. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.look();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Looks are chained: two never overlap, so nothing is reported twice. */
  look(): Promise<void> {
    this.looking = this.looking.then(() => this.once()).catch(() => undefined);
    return this.looking;
  }

  private async once(): Promise<void> {
    // First what the desk told (now known as this run's, perhaps): the store may be further on.
    this.tell();
    const pending = (await this.options.desk.list()).filter((approval) => this.options.ours(approval));
    const seen = new Set<string>();
    for (const approval of pending) {
      seen.add(approval.id);
      this.announce({ kind: "requested", approval });
    }
    for (const id of [...this.waiting.keys()].filter((id) => !seen.has(id))) {
      const approval = await this.options.desk.get(id);
      if (approval?.status === "pending") continue;
      if (approval) this.announce({ kind: "ended", approval });
      else this.waiting.delete(id);
    }
  }

  /** Announces what the desk told, in order; what is not (yet) known as this run's waits for the next look. */
  private tell(): void {
    // A callback that makes the desk tell more: the loop below takes it in turn.
    if (this.telling) return;
    this.telling = true;
    const kept: ApprovalEvent[] = [];
    try {
      for (let event = this.told.shift(); event; event = this.told.shift()) {
        const { approval } = event;
        if (this.options.ours(approval)) this.announce(event);
        // Not this run's (yet): its ask is kept, and what follows it; the lone end of another run's approval (the sweep expires any) is not.
        else if (event.kind === "requested" || kept.some((earlier) => earlier.approval.id === approval.id)) kept.push(event);
      }
    } finally {
      this.told.unshift(...kept);
      this.telling = false;
    }
  }

  /**
   * The one place that reports, told or looked up alike: asked once, a vote only when there are
   * more than announced, ended once. What comes after its end (a look's older read) is dropped; an
   * end of one never announced as asked (withdrawn as it was asked, the run being aborted) too.
   * The state changes before the callback, so one that throws is not reported again.
   */
  private announce({ kind, approval }: ApprovalEvent): void {
    const { id } = approval;
    if (this.ended.has(id)) return;
    const votes = this.waiting.get(id);
    if (kind === "ended") {
      if (votes === undefined) return;
      this.waiting.delete(id);
      this.ended.add(id);
      this.options.onEnded(approval);
    } else if (votes === undefined) {
      this.waiting.set(id, approval.votes.length);
      this.options.onRequested(approval);
    } else if (approval.votes.length > votes) {
      this.waiting.set(id, approval.votes.length);
      this.options.onVoted?.(approval);
    }
  }
}
