import type * as z from "zod";
import { closest } from "../diagnostics.js";
import { StepBlock } from "./schema.js";

export type StepField = keyof typeof StepBlock.shape;
const STEP_FIELDS = Object.keys(StepBlock.shape) as StepField[];

/** What is left of a step block that failed its schema: the fields that passed, and which did not. */
export interface RecoveredBlock {
  readonly block: StepBlock;
  /** Fields whose value was not read: invalid, missing when required, or (a guess) misspelt as an unknown key. */
  readonly unchecked: ReadonlySet<StepField>;
}

/** A block nothing could be read from (bad YAML, not a mapping): every field unchecked. */
export const UNREADABLE_BLOCK: RecoveredBlock = { block: { task: "", with: {} }, unchecked: new Set(STEP_FIELDS) };

/**
 * The parser has reported the block's schema issues; this keeps what passed, so the step is still
 * checked for everything its broken fields do not decide (and the rest of the runbook with it). An
 * unknown key counts as the field it is closest to (`aproval:` leaves `approval` unread), since the
 * author meant to set that one. A missing or invalid `task` leaves a placeholder: nothing that
 * depends on the task can be checked.
 */
export function recoverStepBlock(raw: Readonly<Record<string, unknown>>, issues: readonly z.core.$ZodIssue[]): RecoveredBlock {
  const unchecked = new Set<StepField>();
  for (const issue of issues) {
    const keys = issue.code === "unrecognized_keys" && issue.path.length === 0 ? issue.keys.map((key) => closest(key, STEP_FIELDS)) : [issue.path[0]];
    for (const key of keys) if ((STEP_FIELDS as readonly unknown[]).includes(key)) unchecked.add(key as StepField);
  }
  const kept = Object.fromEntries(Object.entries(raw).filter(([key]) => (STEP_FIELDS as readonly string[]).includes(key) && !unchecked.has(key as StepField)));
  const parsed = StepBlock.safeParse({ ...kept, ...(unchecked.has("task") ? { task: "?" } : {}) });
  return parsed.success ? { block: parsed.data, unchecked } : UNREADABLE_BLOCK;
}
