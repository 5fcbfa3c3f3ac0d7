import * as z from "zod";

/**
 * What a task does to the account it runs in.
 * - read: changes no resource (describes, notifies, records);
 * - reversible: changes a resource and records an undo that Recover can apply;
 * - destructive: changes that cannot be undone (terminate, delete); always needs approval.
 */
export const Risk = z.enum(["read", "reversible", "destructive"]);
export type Risk = z.infer<typeof Risk>;

/** Evidence that a task captures, or that a task would destroy if it ran first. */
export const EvidenceKind = z.enum([
  "ec2-instance-disk",
  "ec2-instance-memory",
  "ec2-instance-metadata",
  "iam-key-activity",
  "s3-bucket-configuration",
  "network-flow",
]);
export type EvidenceKind = z.infer<typeof EvidenceKind>;

/** NIST CSF 2.0 subcategories that the post-incident report tags each step with. */
export const CsfTag = z.enum(["DE.AE", "RS.MA", "RS.AN", "RS.CO", "RS.MI-01", "RS.MI-02", "RC.RP", "ID.IM"]);
export type CsfTag = z.infer<typeof CsfTag>;

/**
 * One IAM statement a task needs. `resources` are ARN templates with `{partition}`, `{region}` and
 * `{account}` placeholders that the stacks fill; "*" only where the action supports no resource type.
 */
export interface IamGrant {
  readonly actions: readonly string[];
  readonly resources?: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** How Recover reverses a task: another task that takes the recorded undo, or why it cannot be. */
export type UndoDeclaration =
  | { readonly by: string }
  | { readonly none: string };

export type TaskInputSchema = z.ZodObject<z.ZodRawShape>;
export type TaskOutputSchema = z.ZodObject<z.ZodRawShape>;

/**
 * Everything the compiler, the stacks and the auditors need to know about a task, without its
 * implementation (and without loading any AWS SDK client). The handler lives beside it.
 */
export interface TaskContract<I extends TaskInputSchema = TaskInputSchema, O extends TaskOutputSchema = TaskOutputSchema> {
  readonly name: string;
  readonly summary: string;
  readonly risk: Risk;
  readonly input: I;
  readonly output: O;
  readonly iam: readonly IamGrant[];
  /** NIST CSF 2.0 tags for the report. */
  readonly csf: readonly CsfTag[];
  /** Evidence this task produces, and evidence it would destroy if run before it is captured. */
  readonly evidence?: { readonly captures?: readonly EvidenceKind[]; readonly destroys?: readonly EvidenceKind[] };
  /** Required for every task that changes something (risk other than read). */
  readonly undo?: UndoDeclaration;
  /** How the dry run works, in one line, for reviewers and approvers. */
  readonly plan?: string;
  /** How long one invocation may run before the state times out; 120 s unless the work is long. */
  readonly timeoutSeconds?: number;
}

const TASK_NAME = /^[a-z][a-z0-9]*\.[a-z][a-z0-9-]*$/;
const IAM_ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+$/;

export class TaskContractError extends Error {
  override readonly name = "TaskContractError";
}

/**
 * Declares a task and checks the declaration's own consistency at load time, so that a task that
 * asks for a wildcard action or forgets its undo cannot reach the registry.
 */
export function defineTaskContract<I extends TaskInputSchema, O extends TaskOutputSchema>(
  contract: TaskContract<I, O>,
): TaskContract<I, O> {
  const problems: string[] = [];
  if (!TASK_NAME.test(contract.name)) problems.push(`name must look like "service.verb-noun"`);
  if (contract.iam.length === 0 && contract.risk !== "read") problems.push("a task that changes something must declare IAM actions");
  for (const grant of contract.iam) {
    if (grant.actions.length === 0) problems.push("an IAM grant must name at least one action");
    for (const action of grant.actions) {
      if (!IAM_ACTION.test(action)) problems.push(`IAM action "${action}" must be exact (service:Action, no wildcards)`);
    }
  }
  if (contract.risk !== "read" && contract.undo === undefined) problems.push(`a ${contract.risk} task must declare how it is undone`);
  if (contract.risk !== "read" && contract.plan === undefined) problems.push(`a ${contract.risk} task must declare how it plans (dry run)`);
  if (contract.timeoutSeconds !== undefined && (contract.timeoutSeconds < 1 || contract.timeoutSeconds > 900)) problems.push("timeoutSeconds must be 1 to 900 (the Lambda maximum)");
  if (contract.csf.length === 0) problems.push("a task must carry at least one NIST CSF tag");
  if (problems.length > 0) {
    throw new TaskContractError(`task ${contract.name}: ${problems.join("; ")}`);
  }
  return contract;
}
