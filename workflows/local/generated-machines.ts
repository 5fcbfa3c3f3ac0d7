import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import type { StateMachine } from "../compiler/asl.js";

const Manifest = z.object({
  machines: z.array(z.object({ runbook: z.string(), machine: z.string(), definition: z.string() })),
});
/** Enough of a definition to be worth handing to the engine, which validates it fully. */
const Definition = z.looseObject({ StartAt: z.string(), States: z.record(z.string(), z.unknown()) });

/**
 * The committed machines of `workflows/generated/` (or another output directory), keyed
 * `<runbook>/<machine>` as the `${Machine:…}` placeholders name them; all runbooks, or the given ones.
 */
export async function loadGeneratedMachines(directory: string, runbookIds?: readonly string[]): Promise<Map<string, StateMachine>> {
  const manifest = Manifest.parse(JSON.parse(await readFile(join(directory, "manifest.json"), "utf8")));
  const wanted = manifest.machines.filter((entry) => !runbookIds || runbookIds.includes(entry.runbook));
  const loaded = await Promise.all(
    wanted.map(async (entry) => {
      const definition = Definition.parse(JSON.parse(await readFile(join(directory, entry.definition), "utf8")));
      return [`${entry.runbook}/${entry.machine}`, definition as unknown as StateMachine] as const;
    }),
  );
  return new Map(loaded);
}
