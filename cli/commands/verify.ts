import type { Command } from "commander";
import { FileEvidenceReader } from "../../functions/audit/file-evidence-reader.js";
import { GENESIS_HASH } from "../../functions/audit/audit-entry.js";
import { verifyChain, type ChainProblem, type ChainVerdict } from "../../functions/audit/verify-chain.js";
import { StoredHistoryReader } from "../../workflows/local/store/history-digest.js";
import { vantage } from "../../workflows/local/incident/run-liveness.js";
import { checkLogAgainstStore, storedIncidentIds } from "../../workflows/local/store/log-against-store.js";
import { EXIT, paint } from "../output.js";
import { terminalField, terminalJson } from "../terminal-text.js";
import { incidentArgument, IncidentNotFound, openAuditStore, reportIncidentNotFound } from "./audit-store.js";
import { UsageError } from "../usage-error.js";
import { storeOptions, type StoreOptions } from "./store-options.js";
import { unreachableEvidenceLine } from "./unreachable-evidence.js";

interface VerifyOptions extends StoreOptions {
  all?: boolean;
  json?: boolean;
}

/** A chain's verdict, and what a run still writing has yet to log (not a problem: verify again once it ends). */
type Verdict = ChainVerdict & { readonly inFlight?: string };

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("check that an incident's audit log is intact: every entry chained to the one before, nothing edited, removed, reordered or inserted")
    .argument("[incident]", "incident id (inc-…)")
    .option("--all", "verify every incident in the database")
    .option("--json", "machine-readable output")
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText(
      "after",
      `
The incident store stands witness to what the log must hold: an incident it closed whose log has
no close, or one it holds with no log, is reported as removed entries. A whole chain rewritten
along with the store by someone who may write the database is not caught (the hashes are not
keyed): locally the file's permissions guard it; on AWS, S3 Object Lock. What a live run has
yet to log just now (the first entry of an incident it is opening, the digest of an execution
that ended seconds ago) is shown as "in flight", not as removed: verify again once the run ends.

Evidence that is a file on this machine, and the reports the run wrote (.irflow/reports/), are
re-hashed against the hashes the log recorded; so is evidence hashed from a step's own output (an
instance description), from the log itself, and each execution's history as this database holds
it (its digest was logged when the execution ended). Evidence recorded by its id alone (a
snapshot) is listed, with nothing to re-hash. Evidence in the account the run acted on (memory
images in S3, …) is named as not reachable: a local run's account is simulated and gone when the
run ends. A deleted report is reported, not failed (the log is the record; irflow report renders
a new one from it, which is not the same file).

Exit codes: 0 every log verified, 1 tampering found (the entry is named), evidence or a report changed
since it was recorded, or no such incident, 2 usage error.`,
    )
    .action(async (incident: string | undefined, options: VerifyOptions) => {
      if (Boolean(incident) === Boolean(options.all)) throw new UsageError("name one incident, or pass --all");
      const { database, log } = openAuditStore(options, "read");
      try {
        // Every incident the log or the incident store knows: a log deleted whole is one the store still holds.
        const ids = options.all ? [...new Set([...log.incidentIds(), ...storedIncidentIds(database)])] : [incidentArgument(incident!)];
        const verdicts: Verdict[] = [];
        const at = vantage();
        const files = new FileEvidenceReader();
        const evidence = new StoredHistoryReader(database, files);
        for (const id of ids) {
          const entries = log.entriesNow(id);
          const againstStore = checkLogAgainstStore(database, id, entries, at);
          if (entries.length === 0 && againstStore.problems.length === 0 && againstStore.inFlight === undefined) throw new IncidentNotFound(id);
          // Files on this machine (the reports, evidence written to disk) and the histories this store
          // holds are re-hashed; evidence in the account the run acted on is named as not reachable,
          // never counted as intact.
          const chain = entries.length > 0 ? await verifyChain(id, entries, { evidence, reports: files }) : { incidentId: id, ok: true, entries: 0, headHash: GENESIS_HASH, problems: [], evidence: [] };
          const verdict = withProblems(chain, againstStore.problems);
          verdicts.push(againstStore.inFlight === undefined ? verdict : { ...verdict, inFlight: againstStore.inFlight });
        }
        if (options.json) process.stdout.write(`${terminalJson(verdicts)}\n`);
        else for (const verdict of verdicts) printVerdict(verdict);
        if (!options.json && options.all) process.stdout.write(`${verdicts.filter((v) => v.ok).length} of ${verdicts.length} incident logs intact\n`);
        process.exitCode = verdicts.every((v) => v.ok) ? EXIT.ok : EXIT.problems;
      } catch (error) {
        reportIncidentNotFound(error);
      } finally {
        database.close();
      }
    });
}

function withProblems(verdict: ChainVerdict, more: readonly ChainProblem[]): ChainVerdict {
  if (more.length === 0) return verdict;
  return { ...verdict, ok: false, problems: [...verdict.problems, ...more].sort((a, b) => a.seq - b.seq) };
}

function printVerdict(verdict: Verdict): void {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const unreachable = verdict.evidence.filter((e) => e.status === "unreachable");
  const unhashed = verdict.evidence.filter((e) => e.status === "unhashed");
  const evidence = verdict.evidence.length > 0 ? `; evidence: ${verdict.evidence.filter((e) => e.status === "intact").length} re-hashed intact, ${unreachable.length} not reachable from here${unhashed.length > 0 ? `, ${unhashed.length} recorded without a hash` : ""}` : "";
  const reports = verdict.reports ?? [];
  const notFound = reports.filter((r) => r.status === "missing");
  const reportCounts = reports.length > 0 ? `; reports: ${reports.filter((r) => r.status === "intact").length} re-hashed intact${notFound.length > 0 ? `, ${notFound.length} not found` : ""}` : "";
  if (verdict.ok) write(`${paint.green("intact")}    ${terminalField(verdict.incidentId)}  ${verdict.entries} entries, head ${verdict.headHash.slice(0, 16)}${evidence}${reportCounts}`);
  else {
    write(`${paint.red("TAMPERED")}  ${terminalField(verdict.incidentId)}  ${verdict.entries} entries`);
    for (const problem of verdict.problems) write(`  entry ${problem.seq}: ${terminalField(problem.kind)}: ${terminalField(problem.message)}`);
  }
  if (verdict.inFlight !== undefined) write(`  ${paint.yellow("in flight:")} ${terminalField(verdict.inFlight)}: verify again once it ends`);
  for (const check of unreachable) write(`  ${paint.dim("not reachable:")} ${terminalField(unreachableEvidenceLine(check))}`);
  for (const check of unhashed) write(`  ${paint.dim("no hash:")} ${terminalField(`${check.kind ?? "evidence"} ${check.location} (entry ${check.seq}): recorded by its id, with nothing to re-hash`)}`);
  for (const report of notFound) write(`  ${paint.dim("report not found:")} ${terminalField(`${report.format} ${report.location} (entry ${report.seq}): moved or deleted; the log is the record, and irflow report ${verdict.incidentId} renders a new one from it (written now, so not these bytes: it cannot stand in for this file)`)}`);
}
