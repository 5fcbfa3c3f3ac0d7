import type { Command } from "commander";
import type * as z from "zod";
import { SYSTEM_TASKS, TASK_CONTRACTS } from "../../functions/registry.js";
import { paint } from "../output.js";

export function registerTasks(program: Command): void {
  program
    .command("tasks")
    .description("list the tasks runbooks can use, with their risk and inputs")
    .option("--json", "machine-readable output")
    .action((options: { json?: boolean }) => {
      const system = new Set<string>(Object.values(SYSTEM_TASKS));
      const rows = TASK_CONTRACTS.filter((task) => !system.has(task.name)).map((task) => ({
        name: task.name,
        risk: task.risk,
        summary: task.summary,
        inputs: Object.entries(task.input.shape).map(([key, schema]) => `${key}${(schema as z.ZodType).safeParse(undefined).success ? "?" : ""}`),
        iam: task.iam.flatMap((grant) => grant.actions),
      }));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const riskColour = { read: paint.green, reversible: paint.yellow, destructive: paint.red } as const;
      for (const row of rows) {
        process.stdout.write(`${paint.bold(row.name.padEnd(34))} ${riskColour[row.risk](row.risk.padEnd(11))} ${row.summary}\n`);
        process.stdout.write(`  ${paint.dim(`with: ${row.inputs.join(", ") || "(nothing)"}`)}\n`);
      }
    });
}
