import { join } from "node:path";
import { createInterface, type Interface } from "node:readline/promises";
import type { ApprovalView } from "../../functions/approval/approval.js";
import { isAllowedApprover, type Identity } from "../../functions/approval/identity.js";
import { ApprovalRefused, type ApprovalDesk } from "../../workflows/local/incident/approval-desk.js";
import { IDENTITIES_FILE } from "../../workflows/local/incident/local-identities.js";
import { paint } from "../output.js";
import { answerCommands, identityFlags, requestLines, roleNames, type StoreFlags } from "./approval-lines.js";
import { suggestAnswerer, type AnswerAs } from "./answer-as.js";

export const APPROVE_QUESTION = "  approve? [y/n/l] ";
const CHOICES_HINT = "  type y (approve), n (reject) or l (later: leave it to another terminal)";

export interface ApprovalPrompt {
  /** An approval of this run came up: asked in turn, one at a time. */
  requested(approval: ApprovalView): void;
  /** It ended (answered elsewhere, timed out, withdrawn): stop asking about it. */
  ended(approval: ApprovalView): void;
  stop(): void;
}

export interface ApprovalPromptOptions {
  readonly desk: Pick<ApprovalDesk, "approve" | "reject">;
  readonly as: Identity;
  readonly write: (line: string) => void;
  /** `--dir`/`--db` for the commands it suggests. */
  readonly flags: StoreFlags;
  /** The state folder, where the identities file goes. */
  readonly stateFolder: string;
  /** Whom the suggested commands answer as (`--as`/`--role`); without it they name `<name>` to fill in. */
  readonly answerAs?: AnswerAs;
}

type Choice = "approve" | "reject" | "later";

/**
 * Asks at the terminal for each approval a responder may answer. An explicit y or n decides (a
 * bare Enter asks again: rejecting fails the phase, too much for a default), l leaves it for
 * another terminal. One this identity may not answer is not asked at all: it says who may, how.
 */
export function promptForApprovals(options: ApprovalPromptOptions): ApprovalPrompt {
  const { as, write } = options;
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  // The terminal is in raw mode while readline reads: Ctrl-C reaches it, not the process.
  terminal.on("SIGINT", () => process.kill(process.pid, "SIGINT"));
  const queue: ApprovalView[] = [];
  const over = new Set<string>();
  let asking: { id: string; controller: AbortController } | undefined;
  let stopped = false;

  const ask = async (approval: ApprovalView): Promise<void> => {
    write("");
    for (const line of requestLines(approval, paint.yellow)) write(line);
    if (!isAllowedApprover(as, approval.approvers)) {
      for (const line of notAllowedLines(approval, as, options)) write(line);
      return;
    }
    const controller = new AbortController();
    asking = { id: approval.id, controller };
    try {
      await decide(terminal, approval, controller.signal, options);
    } catch (error) {
      // Answered elsewhere, timed out or withdrawn while this terminal asked: the watch says how.
      if (!(error instanceof Error && error.name === "AbortError")) throw error;
      write("");
    } finally {
      asking = undefined;
    }
  };

  const pump = async (): Promise<void> => {
    for (let next = queue.shift(); next && !stopped; next = queue.shift()) {
      if (!over.has(next.id)) await ask(next);
    }
  };
  let pumping: Promise<void> | undefined;

  return {
    requested(approval) {
      queue.push(approval);
      pumping ??= pump().finally(() => (pumping = undefined));
    },
    ended(approval) {
      over.add(approval.id);
      if (asking?.id === approval.id) asking.controller.abort();
    },
    stop() {
      stopped = true;
      asking?.controller.abort();
      terminal.close();
    },
  };
}

/** Asks y/n/l and a reason until the answer is accepted, refused for good, or left for later. */
async function decide(terminal: Interface, approval: ApprovalView, signal: AbortSignal, options: ApprovalPromptOptions): Promise<void> {
  const { desk, as, write } = options;
  for (;;) {
    const choice = await choose(terminal, signal, write);
    if (choice === "later") {
      write("  left for another terminal; answer it there with:");
      for (const line of answerCommands(approval, options.flags, options.answerAs)) write(`  ${line}`);
      return;
    }
    for (;;) {
      // Approving confirms the digest shown above; the same checks apply as for `irflow approve`.
      const reason = (await terminal.question("  reason: ", { signal })).trim();
      try {
        const decision = choice === "approve" ? await desk.approve(approval.id, { as, reason, digest: approval.digest }) : await desk.reject(approval.id, { as, reason });
        if (decision.decision === "recorded") write(`  ${paint.green("recorded")}: it needs another approver (irflow approve ${approval.id} in another terminal)`);
        return;
      } catch (error) {
        if (!(error instanceof ApprovalRefused)) throw error;
        write(`  ${paint.red(`refused (${error.code})`)}: ${error.message}`);
        if (error.code === "reason-required") continue;
        if (error.code === "not-allowed") for (const line of notAllowedLines(approval, as, options)) write(line);
        // The requester may still reject: ask again. Anything else (decided, expired, withdrawn) is final here.
        if (error.code === "requester") break;
        return;
      }
    }
  }
}

async function choose(terminal: Interface, signal: AbortSignal, write: (line: string) => void): Promise<Choice> {
  for (;;) {
    const answer = (await terminal.question(APPROVE_QUESTION, { signal })).trim().toLowerCase();
    if (answer === "y" || answer === "yes") return "approve";
    if (answer === "n" || answer === "no") return "reject";
    if (answer === "l" || answer === "later") return "later";
    write(CHOICES_HINT);
  }
}

/** Who may answer, and how to answer as them: this terminal's identity is not one of them. */
export function notAllowedLines(approval: ApprovalView, as: Identity, options: Pick<ApprovalPromptOptions, "flags" | "stateFolder" | "answerAs">): string[] {
  const held = roleNames(as.principals.filter((p) => p.startsWith("arn:")));
  const roles = roleNames(approval.approvers);
  return [
    `  ${paint.yellow("not asked here")}: ${as.actor}${held.length > 0 ? ` (${held.join(", ")})` : " (no role)"} may not answer this step; approvers: ${roles.join(", ")}`,
    `  answer it from another terminal as one of them (this one will not ask about it again):`,
    ...answerCommands(approval, options.flags, options.answerAs).map((line) => `  ${line}`),
    `  or pin names to roles in ${join(options.stateFolder, IDENTITIES_FILE)}, or start the run with${identityFlags(suggestAnswerer(approval, "asked", options.answerAs))} to be asked here`,
  ];
}
