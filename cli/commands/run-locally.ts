import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { userInfo } from "node:os";
import type { IncidentProgress } from "../../workflows/local/incident/local-incident-runner.js";
import { openLocalRuntime } from "../../workflows/local/local-runtime.js";
import { identityFor, stateFolder, storeOptions, type StoreOptions } from "./store-options.js";
import { ApprovalRefused, type ApprovalDesk, type PendingApproval } from "../../workflows/local/incident/approval-desk.js";
import type { Identity } from "../../functions/approval/identity.js";
import { loadScenario, ScenarioError } from "../../workflows/local/simulated-account/index.js";
import { EXIT, paint } from "../output.js";
import { DIGEST_PREFIX_LENGTH } from "../../functions/approval/approval.js";
import { planLines } from "../../functions/approval/approval-message.js";
import { UsageError } from "../usage-error.js";
import { onInterrupt, SIGNAL_EXIT_CODES } from "./interrupt.js";

/** `irflow run` and `irflow demo`: one incident on the embedded default, progress and approvals at this terminal. */

export interface RunOptions extends StoreOptions {
  scenario?: string;
  approve?: boolean;
  /** False with --no-prompt: approvals wait for `irflow approve` from another terminal. */
  prompt?: boolean;
  as?: string;
  role?: string[];
}

export async function runLocally(runbookId: string, scenarioPath: string, options: RunOptions): Promise<number> {
  const interactive = !options.approve;
  const prompting = interactive && options.prompt !== false;
  if (prompting && !process.stdin.isTTY) throw new UsageError("no terminal to ask for approvals: pass --approve for an unattended run, or --no-prompt to answer them with irflow approve from another terminal");
  const scenario = await loadScenarioOrExplain(scenarioPath);
  // Incidents, step records, history, approvals and the audit log in the embedded database, so a second terminal sees them.
  const runtime = await openLocalRuntime({
    ...storeOptions.location(options),
    account: scenario.account,
    runbookIds: [runbookId],
    // Reports beside the database they describe (default <project>/.irflow/reports).
    reportsDirectory: join(stateFolder(options), "reports"),
    // Retries wait a hundredth of their real interval: the simulated account answers at once.
    retryDelayScale: 0.01,
  });
  const { runner } = runtime;
  const write = (line: string) => process.stdout.write(`${line}\n`);
  write(`${paint.bold("irflow")} ${runbookId} ${paint.dim(`(${scenario.description || scenarioPath})`)}`);
  const answerer = prompting ? await identityFor(options) : undefined;
  const prompt = answerer ? promptForApprovals(runner.approvals, answerer, write) : undefined;
  const by = options.as?.trim() || userInfo().username;
  const interrupt = onInterrupt({ stop: (signal) => runner.abort({ by, reason: `interrupted (${signal})` }), notice: (line) => write(`\n${paint.yellow(line)}`) });
  try {
    // Each run is a new delivery of the finding (a fresh event id): on the persistent store the same
    // id again would be a redelivery, which joins the incident it opened instead of responding again.
    const event = { ...scenario.event, id: randomUUID() };
    const result = await runner.runIncident({ runbookId, event, approvals: interactive ? "manual" : "auto", requestedBy: options.as, onEvent: (progress) => printProgress(progress, write) });
    // The phases' ends and their audit entries are written before the database is closed.
    const signal = await interrupt.endedBy(result.status);
    if (signal) {
      write("");
      write(`${paint.red(result.status)} (${signal})  incident ${result.incidentId ?? "(not opened)"}`);
      if (result.incidentId) write(`  irflow history ${result.incidentId} shows what ran and who stopped it`);
      return SIGNAL_EXIT_CODES[signal];
    }
    const colour = result.status === "resolved" || result.status === "joined" ? paint.green : paint.red;
    write("");
    write(`${colour(result.status)}  incident ${result.incidentId ?? "(not opened)"}`);
    if (result.outcome.status === "FAILED") write(`  ${paint.red(result.outcome.error)}: ${result.outcome.cause.slice(0, 300)}`);
    if (result.reportLocation) write(`  report: ${result.reportLocation}`);
    if (result.status === "aborted" && result.incidentId) write(`  irflow history ${result.incidentId} shows who stopped it and why`);
    return result.status === "resolved" || result.status === "joined" ? EXIT.ok : EXIT.problems;
  } finally {
    interrupt.dispose();
    prompt?.stop();
    runtime.close();
  }
}

async function loadScenarioOrExplain(path: string) {
  try {
    return await loadScenario(path);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(error.message);
    if (error instanceof Error && "code" in error && error.code === "ENOENT") throw new UsageError(`no such scenario: ${path}`);
    throw error;
  }
}

/** One line per state a phase enters, so a responder sees the incident move. */
function printProgress({ machineKey, event }: IncidentProgress, write: (line: string) => void): void {
  const phase = machineKey.slice(machineKey.indexOf("/") + 1);
  if (phase === "incident") return;
  if (event.type.endsWith("StateEntered")) {
    const { name } = event.details as { name: string };
    write(`  ${paint.dim(phase.padEnd(13))} ${name}`);
  } else if (event.type === "TaskFailed") {
    const { error } = event.details as { error?: string };
    write(`  ${paint.dim(phase.padEnd(13))} ${paint.red(`failed: ${error ?? "error"}`)}`);
  }
}

/** Asks at the terminal for every approval that comes up, one at a time. */
function promptForApprovals(desk: ApprovalDesk, as: Identity, write: (line: string) => void): { stop(): void } {
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  // The terminal is in raw mode while readline reads: Ctrl-C reaches it, not the process.
  terminal.on("SIGINT", () => process.kill(process.pid, "SIGINT"));
  const asked = new Set<string>();
  let busy = false;
  const ask = async (pending: PendingApproval): Promise<void> => {
    write("");
    write(`${paint.yellow("approval needed")}: ${pending.stepTitle} (${pending.task}, ${pending.risk})`);
    write(`  requested by ${pending.requester}; answer before ${pending.deadline}; ${pending.id}`);
    for (const line of planLines(pending)) write(`  ${line}`);
    write(`  digest ${pending.digest.slice(0, DIGEST_PREFIX_LENGTH)}`);
    for (;;) {
      const answer = (await terminal.question("  approve? [y/N] ")).trim().toLowerCase();
      const approve = answer === "y" || answer === "yes";
      // Approving confirms the digest shown above; the same checks apply as for `irflow approve`.
      const reason = (await terminal.question("  reason: ")).trim();
      try {
        const decision = approve ? await desk.approve(pending.id, { as, reason, digest: pending.digest }) : await desk.reject(pending.id, { as, reason });
        if (decision.decision === "recorded") write(`  ${paint.green("recorded")}: it needs another approver (irflow approve ${pending.id} in another terminal)`);
        return;
      } catch (error) {
        if (!(error instanceof ApprovalRefused)) throw error;
        write(`  ${paint.red(`refused (${error.code})`)}: ${error.message}`);
        if (error.code !== "reason-required") return;
      }
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void desk
      .list()
      .then(async (pending) => {
        for (const item of pending) {
          if (asked.has(item.id)) continue;
          asked.add(item.id);
          await ask(item);
        }
      })
      .finally(() => {
        busy = false;
      });
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      terminal.close();
    },
  };
}
