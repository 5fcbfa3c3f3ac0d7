import type { Command } from "commander";
import { verifyChain, type ChainVerdict } from "../../functions/audit/verify-chain.js";
import { EXIT, paint } from "../output.js";
import { terminalField, terminalJson } from "../terminal-text.js";
import { incidentArgument, IncidentNotFound, openAuditStore, reportIncidentNotFound } from "./audit-store.js";
import { UsageError } from "../usage-error.js";
import { storeOptions, type StoreOptions } from "./store-options.js";

interface VerifyOptions extends StoreOptions {
  all?: boolean;
  json?: boolean;
}

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("check that an incident's audit log is intact: every entry chained to the one before, nothing edited, removed, reordered or inserted")
    .argument("[incident]", "incident id (inc-…)")
    .option("--all", "verify every incident in the database")
    .option("--json", "machine-readable output")
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText("after", "\nExit codes: 0 every log verified, 1 tampering found (the entry is named) or no such incident, 2 usage error.")
    .action(async (incident: string | undefined, options: VerifyOptions) => {
      if (Boolean(incident) === Boolean(options.all)) throw new UsageError("name one incident, or pass --all");
      const { database, log } = openAuditStore(options, "read");
      try {
        const ids = options.all ? log.incidentIds() : [incidentArgument(incident!)];
        const verdicts: ChainVerdict[] = [];
        for (const id of ids) {
          const entries = log.entriesNow(id);
          if (entries.length === 0) throw new IncidentNotFound(id);
          // Evidence lives in the account the run acted on; from here it is reported as not reachable, never as intact.
          verdicts.push(await verifyChain(id, entries));
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

function printVerdict(verdict: ChainVerdict): void {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const unreachable = verdict.evidence.filter((e) => e.status === "unreachable").length;
  const evidence = verdict.evidence.length > 0 ? `; evidence: ${verdict.evidence.filter((e) => e.status === "intact").length} re-hashed intact, ${unreachable} not reachable from here` : "";
  if (verdict.ok) {
    write(`${paint.green("intact")}    ${terminalField(verdict.incidentId)}  ${verdict.entries} entries, head ${verdict.headHash.slice(0, 16)}${evidence}`);
    return;
  }
  write(`${paint.red("TAMPERED")}  ${terminalField(verdict.incidentId)}  ${verdict.entries} entries`);
  for (const problem of verdict.problems) write(`  entry ${problem.seq}: ${terminalField(problem.kind)}: ${terminalField(problem.message)}`);
}
