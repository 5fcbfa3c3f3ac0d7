import type { SourcePosition } from "../diagnostics.js";
import type { LocatedYaml } from "./located-yaml.js";
import type { FrontMatter, Phase, StepBlock, Trigger } from "./schema.js";
import type { StepField } from "./step-recovery.js";

/** One automated step: a `###` heading with a fenced `step` block under it. */
export interface RunbookStep {
  readonly phase: Phase;
  readonly title: string;
  /** Stable id within the runbook (`contain/isolate-the-instance`): the idempotency key of the step. */
  readonly id: string;
  readonly heading: SourcePosition;
  readonly block: StepBlock;
  readonly yaml: LocatedYaml;
  /** SHA-256 of the step's heading and block text, carried into every state it becomes. */
  readonly hash: string;
  /**
   * Fields of a block that failed its schema (the parser reported why): the step is checked without
   * them, so the file's other problems show too, and the runbook is not compiled.
   */
  readonly unchecked?: ReadonlySet<StepField>;
}

export interface RunbookPhase {
  readonly phase: Phase;
  /** Where the `##` heading is; undefined when the runbook has no section for the phase. */
  readonly heading?: SourcePosition;
  readonly steps: readonly RunbookStep[];
}

export interface Runbook {
  readonly file: string;
  readonly id: string;
  readonly title: string;
  readonly frontMatter: FrontMatter;
  readonly triggers: readonly Trigger[];
  readonly frontMatterYaml: LocatedYaml;
  /** SHA-256 of the whole file: the revision an incident record names. */
  readonly revision: string;
  readonly phases: readonly RunbookPhase[];
}

export function allSteps(runbook: Runbook): RunbookStep[] {
  return runbook.phases.flatMap((phase) => phase.steps);
}
