import * as z from "zod";
import { EvidenceKind } from "./task-contract.js";

/** One change a task makes (or, in a plan, would make), with the state before and after. */
export const Change = z.object({
  /** ARN or id of the resource. */
  resource: z.string().min(1).max(2048),
  /** What happens to it, in the API's words (`ModifyInstanceAttribute groups`, `CreateNetworkAclEntry`). */
  action: z.string().min(1).max(256),
  before: z.unknown(),
  after: z.unknown(),
});
export type Change = z.infer<typeof Change>;

/** A piece of evidence a task produced; the hash lets auditors prove it unchanged years later. */
export const Evidence = z.object({
  kind: EvidenceKind,
  /** Where it is: a snapshot id, an s3:// location, … */
  location: z.string().min(1).max(2048),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  sizeBytes: z.number().int().min(0).optional(),
  /** `output`: the hash is of the step's own output as recorded (its canonical JSON), so anyone holding the log re-hashes it. */
  hashOf: z.literal("output").optional(),
  description: z.string().max(1024),
});
export type Evidence = z.infer<typeof Evidence>;

/** How Recover reverses a run: the task to call and its exact input. */
export const Undo = z.object({ task: z.string(), input: z.record(z.string(), z.unknown()) });
export type Undo = z.infer<typeof Undo>;

export interface PlanResult {
  readonly changes: readonly Change[];
  /** One line for approvers: what will happen. */
  readonly summary: string;
}

export interface RunResult<O> {
  readonly output: O;
  readonly changes: readonly Change[];
  readonly evidence?: readonly Evidence[];
  readonly undo?: Undo;
  /** One line for the record: what happened (`isolated i-… (was sg-a, sg-b)`, `already isolated`). */
  readonly summary: string;
}
