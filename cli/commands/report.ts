import { writeFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { projectRecord } from "../../functions/audit/incident-record.js";
import { renderReport, REPORT_FORMATS, type ReportFormat } from "../../functions/audit/report/index.js";
import { examples } from "../help-examples.js";
import { EXIT, paint } from "../output.js";
import { terminalDocument, terminalJson } from "../terminal-text.js";
import { logProblems, problemPlaces, withIncidentEntries } from "./audit-store.js";
import { storeOptions, type StoreOptions } from "./store-options.js";

interface ReportOptions extends StoreOptions {
  format: ReportFormat;
  output?: string;
  force?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "render an incident's post-incident report as of now, from its audit log (the run wrote the one as of the incident's close; entries after it, such as the post-incident phase's end, are only in this one)",
    )
    .argument("<incident>", "incident id (inc-…)")
    .addOption(new Option("--format <format>", "md, self-contained html, or json").choices(REPORT_FORMATS).default("md"))
    .option("--output <file>", "write to a file instead of standard output")
    .option("--force", "render even when the log fails verification (the report then says so at the top, in every format; the exit code is still 1)")
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText("after", examples("irflow report inc-20261124-0a1b2c3d4e5f", "irflow report inc-20261124-0a1b2c3d4e5f --format html --output report.html --db /tmp/drill/irflow.db"))
    .action((incident: string, options: ReportOptions) =>
      withIncidentEntries(options, incident, async (entries, id, database) => {
        const problems = logProblems(database, id, entries);
        if (problems.length > 0) {
          const where = problemPlaces(problems).join("; ");
          process.stderr.write(`${paint.red("error:")} the audit log of ${id} fails verification (${where}); a report from it would not be evidence. Run irflow verify ${id}${options.force ? "" : ", or pass --force"}\n`);
          process.exitCode = EXIT.problems;
          if (!options.force) return;
        }
        const flagged = renderReport(projectRecord(id, entries), options.format, new Date(), problems.length === 0 ? {} : { failedVerification: problemPlaces(problems) });
        if (options.output) {
          await writeFile(options.output, flagged, "utf8");
          process.stderr.write(`written ${options.output}\n`);
        } else process.stdout.write(options.format === "json" ? `${terminalJson(JSON.parse(flagged))}\n` : terminalDocument(flagged));
      }),
    );
}
