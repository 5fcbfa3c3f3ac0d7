import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { paint as pc } from "../cli/output.js";
import { benchApproval } from "./approval.bench.js";
import { benchBundles } from "./bundle.bench.js";
import { benchCli } from "./cli.bench.js";
import { benchCompile } from "./compile.bench.js";
import { benchVerify } from "./verify.bench.js";
import { benchIncidents } from "./incidents.bench.js";
import type { Figure } from "./measure.js";

// The AWS SDK's "needs Node 22 from 2027" notice is noise in a bench's output; the SDK reads this
// when a client is built (after these imports), and the CLIs the benches start inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Every benchmark, by the name `npm run bench -- <name>` selects. */
const SUITES: Record<string, () => Figure[] | Promise<Figure[]>> = {
  compile: benchCompile,
  bundle: benchBundles,
  verify: benchVerify,
  approval: benchApproval,
  incidents: benchIncidents,
  cli: benchCli,
};

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), "results.json");

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in SUITES));
  if (unknown.length > 0 || wanted.includes("--help")) {
    process.stderr.write(`usage: npm run bench [-- ${Object.keys(SUITES).join(" | ")}]\n`);
    process.exitCode = unknown.length > 0 ? 2 : 0;
    return;
  }
  const names = wanted.length > 0 ? wanted : Object.keys(SUITES);
  const figures: Figure[] = [];
  for (const name of names) {
    process.stderr.write(pc.dim(`running ${name}…\n`));
    figures.push(...(await SUITES[name]!()));
  }
  printTable(figures);
  mkdirSync(dirname(RESULTS), { recursive: true });
  const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
  writeFileSync(RESULTS, `${JSON.stringify({ measuredAt: new Date().toISOString(), machine, figures }, null, 2)}\n`);
  process.stderr.write(pc.dim(`written ${RESULTS}\n`));
}

function printTable(figures: readonly Figure[]): void {
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) {
    const value = `${f.value} ${f.unit}`.padStart(14);
    const target = f.target ? ` (target ${f.target.comparison} ${f.target.value} ${f.unit}: ${f.met ? pc.green("met") : pc.red("missed")})` : "";
    process.stdout.write(`${f.name.padEnd(width)}  ${value}${target}${f.note ? pc.dim(`  ${f.note}`) : ""}\n`);
  }
}

await main();
