import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";

/**
 * The part of `workflows/generated/manifest.json` the stacks build from, validated: the manifest is
 * generated, but a hand edit or a stale checkout must fail here, naming the field, not halfway
 * through a deployment.
 */
const IamGrant = z.object({
  actions: z.array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, "must be an exact IAM action (service:Action)")).min(1),
  resources: z.array(z.string().min(1)).optional(),
  conditions: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.array(z.string())]))).optional(),
});
export type IamGrant = z.infer<typeof IamGrant>;

/** A runbook trigger as the stacks turn it into an EventBridge rule; `irflow run` routes events with the same. */
export const Trigger = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("event"), source: z.string(), description: z.string(), pattern: z.record(z.string(), z.unknown()) }),
  z.object({ kind: z.literal("schedule"), source: z.literal("schedule"), description: z.string(), expression: z.string().regex(/^(?:rate|cron)\(.+\)$/, "must be rate(...) or cron(...)") }),
  z.object({ kind: z.literal("manual"), source: z.literal("manual"), description: z.string() }),
]);
export type Trigger = z.infer<typeof Trigger>;

const RunbookId = z.string().regex(/^[a-z][a-z0-9-]{2,40}$/, "must be a runbook id");

export const Manifest = z.object({
  version: z.literal(1),
  runbooks: z.array(
    z.object({
      id: RunbookId,
      title: z.string(),
      severity: z.string(),
      incidentMachine: z.string(),
      triggers: z.array(Trigger),
    }),
  ),
  machines: z.array(
    z.object({
      name: z.string(),
      runbook: RunbookId,
      machine: z.string().regex(/^[a-z][a-z-]*$/),
      definition: z.string().regex(/^[a-z0-9-]+\/[a-z-]+\.asl\.json$/, "must be <runbook>/<machine>.asl.json"),
      tasks: z.array(z.string()),
      starts: z.array(z.string()),
    }),
  ),
  tasks: z.record(
    z.string().regex(/^[a-z][a-z0-9]*\.[a-z][a-z0-9-]*$/, "must be a task name"),
    z.object({ summary: z.string(), risk: z.string(), timeoutSeconds: z.number().int().min(1).max(900), iam: z.array(IamGrant), usedBy: z.array(z.string()) }),
  ),
});
export type Manifest = z.infer<typeof Manifest>;
export type ManifestMachine = Manifest["machines"][number];
export type ManifestRunbook = Manifest["runbooks"][number];

export const GENERATED_DIR = "workflows/generated";

export class ManifestError extends Error {
  override readonly name = "ManifestError";
}

export function parseManifest(raw: unknown, source = "manifest.json"): Manifest {
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new ManifestError(`${source} is not a valid irflow manifest (run npm run compile):\n  ${issues.join("\n  ")}`);
  }
  const names = new Set(parsed.data.machines.map((machine) => machine.name));
  for (const machine of parsed.data.machines) {
    for (const task of machine.tasks) if (!parsed.data.tasks[task]) throw new ManifestError(`${source}: machine ${machine.name} uses task ${task}, which the manifest does not declare`);
    for (const child of machine.starts) if (!names.has(child)) throw new ManifestError(`${source}: machine ${machine.name} starts ${child}, which the manifest does not declare`);
  }
  return parsed.data;
}

/** Reads the committed manifest from a checkout (`root` is the repository root). */
export function loadManifest(root: string): Manifest {
  const file = join(root, GENERATED_DIR, "manifest.json");
  return parseManifest(JSON.parse(readFileSync(file, "utf8")) as unknown, file);
}

/** The committed ASL of one machine, parsed. */
export function loadDefinition(root: string, machine: ManifestMachine): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, GENERATED_DIR, machine.definition), "utf8")) as Record<string, unknown>;
}
