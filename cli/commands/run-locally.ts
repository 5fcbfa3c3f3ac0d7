import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { userInfo } from "node:os";
import type { IncidentProgress } from "../../workflows/local/incident/local-incident-runner.js";
import { openLocalRuntime } from "../../workflows/local/local-runtime.js";
import { identityFor, stateFolder, storeOptions, type StoreOptions } from "./store-options.js";
import { DEFAULT_DIRECTORY, NotAnIrflowStore } from "../../workflows/local/store/embedded-database.js";
import { EXIT, paint } from "../output.js";
import { UsageError } from "../usage-error.js";
import { onInterrupt, SIGNAL_EXIT_CODES } from "./interrupt.js";
import { displayPath, resolveRunInputs, type RunInputOptions, type RunInputs } from "./run-inputs.js";
import { endingLines } from "./run-ending.js";
import { ApprovalWatch } from "./approval-watch.js";
import { promptForApprovals } from "./approval-prompt.js";
import { answerCommands, endedLine, requestLines, storeFlags } from "./approval-lines.js";
import { answerAsFor } from "./answer-as.js";
import { guardRules, ProgressLines } from "./run-progress.js";
import { loadGeneratedMachines } from "../../workflows/local/generated-machines.js";
import { GENERATED_DIRECTORY } from "../../workflows/local/incident/local-incident-runner.js";

/** `irflow run` and `irflow demo`: one incident on the embedded default, progress and approvals at this terminal. */

export interface RunOptions extends StoreOptions, RunInputOptions {
  approve?: boolean;
  /** False with --no-prompt: approvals wait for `irflow approve` from another terminal. */
  prompt?: boolean;
  as?: string;
  role?: string[];
}

/** Flags that cannot go together, and an empty name: refused before anything runs. */
export function checkRunFlags(options: RunOptions): void {
  if (options.approve && options.prompt === false) throw new UsageError("--approve and --no-prompt contradict each other: --approve answers every approval itself, --no-prompt leaves them to another terminal; pass one");
  if (options.as !== undefined && options.as.trim() === "") throw new UsageError("--as needs a name (who starts the run and answers its approvals)");
  storeOptions.location(options);
}

export async function runLocally(runbookId: string, options: RunOptions): Promise<number> {
  checkRunFlags(options);
  const interactive = !options.approve;
  const prompting = interactive && options.prompt !== false;
  const inputs = await resolveRunInputs(runbookId, options);
  if (prompting && !process.stdin.isTTY) throw new UsageError("no terminal to ask for approvals: pass --approve for an unattended run, or --no-prompt to answer them with irflow approve from another terminal");
  // Who answers at this prompt, checked before anything runs: a bad identities file is a usage error.
  const answerer = prompting ? await identityFor(options) : undefined;
  // Whom the printed approve/reject commands answer as: named, since without --as/--role they are refused.
  const answerAs = interactive ? await answerAsFor(options, userInfo().username) : undefined;
  // The machines the runner plays; the progress lines read their guards' conditions too (a skipped step says why).
  const definitions = await loadGeneratedMachines(GENERATED_DIRECTORY, [runbookId]);
  // Incidents, step records, history, approvals and the audit log in the embedded database, so a second terminal sees them.
  const runtime = await openLocalRuntime({
    ...storeOptions.location(options),
    definitions,
    account: inputs.scenario.account,
    runbookIds: [runbookId],
    // Reports beside the database they describe (default <project>/.irflow/reports).
    reportsDirectory: join(stateFolder(options), "reports"),
    // Retries wait a hundredth of their real interval: the simulated account answers at once.
    retryDelayScale: 0.01,
  }).catch((error: unknown) => {
    // A file that is not (or cannot be) an irflow store is the user's to fix, as the readers say it.
    throw error instanceof NotAnIrflowStore ? new UsageError(`${error.message} (--dir/--db name another)`) : error;
  });
  const { runner } = runtime;
  const write = (line: string) => process.stdout.write(`${line}\n`);
  write(headerLine(runbookId, inputs));
  const flags = storeFlags(options, DEFAULT_DIRECTORY);
  // This run's executions: the store may hold approvals of other runs, which are not this terminal's to show.
  const executions = new Set<string>();
  const prompt = answerer ? promptForApprovals({ desk: runner.approvals, as: answerer, write, flags, stateFolder: stateFolder(options), ...(answerAs ? { answerAs } : {}) }) : undefined;
  // The desk tells the watch what this process does to an approval as it happens (asked, a vote at
  // this prompt, resumed with an answer from here or another terminal, expired, withdrawn); its
  // poll finds only a first vote cast in another terminal, which resumes nothing here.
  const watch = interactive
    ? new ApprovalWatch({
        desk: runner.approvals,
        ours: (approval) => executions.has(approval.executionId),
        onRequested: (approval) => {
          if (prompt) return prompt.requested(approval);
          write("");
          for (const line of requestLines(approval, paint.yellow)) write(line);
          write("  answer in another terminal:");
          for (const line of answerCommands(approval, flags, answerAs)) write(`  ${line}`);
        },
        onVoted: (approval) => write(`  ${endedLine(approval)}`),
        onEnded: (approval) => {
          prompt?.ended(approval);
          const line = endedLine(approval);
          write(`  ${approval.status === "approved" ? paint.green(line) : paint.red(line)}`);
        },
      })
    : undefined;
  watch?.start();
  const by = options.as?.trim() || userInfo().username;
  const interrupt = onInterrupt({ stop: (signal) => runner.abort({ by, reason: `interrupted (${signal})` }), notice: (line) => write(`\n${paint.yellow(line)}`) });
  try {
    // Each run is a new delivery of the finding (a fresh event id): on the persistent store the same
    // id again would be a redelivery, which joins the incident it opened instead of responding again.
    const event = { ...inputs.event, id: randomUUID() };
    const progressLines = new ProgressLines(guardRules(definitions));
    const onEvent = (progress: IncidentProgress) => {
      executions.add(progress.executionArn);
      for (const line of progressLines.linesFor(progress)) write(line);
    };
    const result = await runner.runIncident({ runbookId, event, approvals: interactive ? "manual" : "auto", requestedBy: options.as, onEvent });
    await watch?.stop();
    // The phases' ends and their audit entries are written before the database is closed.
    const signal = await interrupt.endedBy(result.status);
    if (signal) {
      write("");
      write(`${paint.red(result.status)} (${signal})  incident ${result.incidentId ?? "(not opened)"}`);
      // The runner closes an interrupted incident with its report, as it does one aborted from another terminal.
      if (result.reportLocation) write(`  report: ${result.reportLocation}`);
      if (result.incidentId) write(`  irflow history ${result.incidentId}${flags} shows what ran and who stopped it`);
      return SIGNAL_EXIT_CODES[signal];
    }
    const colour = result.status === "resolved" || result.status === "joined" ? paint.green : paint.red;
    write("");
    write(`${colour(result.status)}  incident ${result.incidentId ?? "(not opened)"}`);
    if (result.status !== "resolved" && result.status !== "joined") {
      const record = result.incidentId ? runner.records.get(result.incidentId) : undefined;
      for (const line of endingLines(result.outcome, record)) write(`  ${paint.red(line)}`);
    }
    if (result.reportLocation) write(`  report: ${result.reportLocation}`);
    if (result.incidentId && result.status !== "resolved" && result.status !== "joined") write(`  irflow history ${result.incidentId}${flags} shows ${result.status === "aborted" ? "who stopped it and why" : "every step"}`);
    return result.status === "resolved" || result.status === "joined" ? EXIT.ok : EXIT.problems;
  } finally {
    interrupt.dispose();
    await watch?.stop();
    prompt?.stop();
    runtime.close();
  }
}

/** Which runbook, on which scenario's account, with which event. */
function headerLine(runbookId: string, inputs: RunInputs): string {
  const what = inputs.eventPath ? `${inputs.event["detail-type"]} from ${inputs.event.source}` : inputs.scenario.description;
  const on = `scenario ${displayPath(inputs.scenarioPath)}${inputs.scenarioDefaulted ? " (the runbook's own)" : ""}${inputs.eventPath ? `, event ${displayPath(inputs.eventPath)}` : ""}`;
  return `${paint.bold("irflow")} ${runbookId} ${paint.dim(`(${what})`)}  ${paint.dim(on)}`;
}
