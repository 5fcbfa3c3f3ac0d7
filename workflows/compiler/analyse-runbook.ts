import * as z from "zod";
import { EvidenceKind, type TaskContract } from "../../functions/contract/task-contract.js";
import { IncidentDocument, RESERVED_DOCUMENT_FIELDS } from "../../functions/incident/document.js";
import { closest, DiagnosticBag, type Diagnostic } from "../diagnostics.js";
import { parseDuration } from "../runbook/duration.js";
import type { Runbook, RunbookStep } from "../runbook/runbook.js";
import type { Condition, Phase } from "../runbook/schema.js";
import type { StepField } from "../runbook/step-recovery.js";
import type { AslObject, Retrier } from "./asl.js";
import { compileTaskInput, resolvePath, type PathScope, type ValueSite } from "./compile-inputs.js";
import { compileCondition } from "./compile-condition.js";
import { ANY, typesOf, withSchemaAt, type JsonSchema } from "./json-schema.js";
import { parseReferencePath } from "./reference-path.js";

export interface TaskCatalogue {
  find(name: string): TaskContract | undefined;
  names(): Iterable<string>;
  isSystem(name: string): boolean;
}

export interface ApprovalGate {
  readonly mode: "required" | "two-person";
  readonly approvers: readonly string[];
  readonly requiredApprovals: 1 | 2;
  readonly timeoutSeconds: number;
  readonly onTimeout: "abort" | "escalate" | "proceed";
  readonly escalationApprovers?: readonly string[];
}

/** A step that passed every check, with everything the machine generator needs. */
export interface AnalysedStep {
  readonly step: RunbookStep;
  readonly contract: TaskContract;
  /** The task input as ASL Parameters (paths resolved against the document, or the item). */
  readonly input: AslObject;
  readonly condition?: AslObject;
  readonly foreach?: { readonly itemsPath: string; readonly maxConcurrency: number };
  readonly approval?: ApprovalGate;
  readonly retry: Retrier;
  readonly timeoutSeconds: number;
  readonly save?: { readonly path: string; readonly fields: readonly string[] };
}

export interface AnalysedRunbook {
  readonly runbook: Runbook;
  readonly phases: ReadonlyMap<Phase, readonly AnalysedStep[]>;
}

export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 3600;
export const DEFAULT_TASK_TIMEOUT_SECONDS = 120;
const DEFAULT_MAX_CONCURRENCY = 5;

/** Errors AWS and our tasks raise that are worth trying again, with backoff and jitter. */
export const TRANSIENT_ERRORS = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException", "Transient"];

const documentSchema = z.toJSONSchema(IncidentDocument, { io: "output", unrepresentable: "any" }) as JsonSchema;
const outputSchemas = new WeakMap<z.ZodType, JsonSchema>();

/** A task's output as JSON Schema, converted once per contract. */
function outputSchemaOf(output: z.ZodType): JsonSchema {
  let schema = outputSchemas.get(output);
  if (!schema) {
    schema = z.toJSONSchema(output, { io: "output", unrepresentable: "any" }) as JsonSchema;
    outputSchemas.set(output, schema);
  }
  return schema;
}

/**
 * The compiler's semantic pass: walks the phases in order, carrying the incident document's
 * schema as steps `save:` into it, and checks every step against its task's contract.
 */
export function analyseRunbook(runbook: Runbook, tasks: TaskCatalogue): { analysed?: AnalysedRunbook; diagnostics: Diagnostic[] } {
  const bag = new DiagnosticBag(runbook.file);
  let document: JsonSchema = documentSchema;
  const captured: { kind: EvidenceKind; when: string }[] = [];
  const saved = new Map<string, RunbookStep>();
  const phases = new Map<Phase, AnalysedStep[]>();

  for (const phase of runbook.phases) {
    const analysed: AnalysedStep[] = [];
    for (const step of phase.steps) {
      const result = analyseStep(step, runbook, tasks, document, bag, captured, saved);
      if (!result) continue;
      if (result.step) analysed.push(result.step);
      document = result.document;
    }
    phases.set(phase.phase, analysed);
  }
  return bag.hasErrors ? { diagnostics: bag.items } : { analysed: { runbook, phases }, diagnostics: bag.items };
}

function analyseStep(
  step: RunbookStep,
  runbook: Runbook,
  tasks: TaskCatalogue,
  document: JsonSchema,
  bag: DiagnosticBag,
  captured: { kind: EvidenceKind; when: string }[],
  saved: Map<string, RunbookStep>,
): { step?: AnalysedStep; document: JsonSchema } | undefined {
  const { block, yaml } = step;
  const at = (path: readonly PropertyKey[], key = false) => yaml.positionOf(path, key);
  const site = (path: readonly PropertyKey[], label: string): ValueSite => ({ yaml, path, bag, label: `step "${step.title}" ${label}` });
  const errorsBefore = bag.items.filter((d) => d.severity === "error").length;
  // Fields of a block that failed its schema (already reported): checks they decide are skipped.
  const unchecked = step.unchecked ?? NONE_UNCHECKED;
  // A step whose task is unknown may have been meant to capture any evidence: later steps are not
  // held to a capture it might make, and read its save: as holding anything.
  const unknownTask = () => {
    captured.push(...EvidenceKind.options.map((kind) => ({ kind, when: "null" })));
    return { document: withUnknownOutput(step, document, bag, saved) };
  };
  if (unchecked.has("task")) return unknownTask();

  const contract = tasks.find(block.task);
  if (!contract || tasks.isSystem(block.task)) {
    const guess = closest(block.task, [...tasks.names()].filter((name) => !tasks.isSystem(name)), 6);
    const message = contract ? `${block.task} is placed by the compiler itself and cannot be a runbook step` : `unknown task "${block.task}"`;
    bag.error(at(["task"]), "unknown-task", message, guess ? `did you mean "${guess}"? \`irflow tasks\` lists them` : "`irflow tasks` lists the tasks");
    return unknownTask();
  }

  // Without its when:, which saves the step may rely on is unknown: none is held against it.
  const maybeAbsent = unchecked.has("when") ? new Map<string, string>() : unguardedConditionalSaves(step, saved);
  // foreach: the list to run over, and the item schema that `$.item` refers to (anything, when foreach: is unreadable).
  let scope: PathScope = unchecked.has("foreach") ? { document, maybeAbsent, item: ANY } : { document, maybeAbsent };
  let foreach: AnalysedStep["foreach"];
  if (block.foreach) {
    const list = resolvePath(block.foreach, { document, maybeAbsent }, site(["foreach"], "foreach"));
    if (list) {
      if (!typesOf(list.schema).has("array")) {
        bag.error(at(["foreach"]), "foreach-not-list", `step "${step.title}" foreach: ${block.foreach} is not a list`, "foreach takes the path of an array, such as $.stale.deactivate");
      } else {
        scope = { document, maybeAbsent, item: list.schema.items ?? {} };
        foreach = { itemsPath: list.path, maxConcurrency: block["max-concurrency"] ?? DEFAULT_MAX_CONCURRENCY };
      }
    }
  } else if (block["max-concurrency"] !== undefined && !unchecked.has("foreach")) {
    bag.error(at(["max-concurrency"], true), "max-concurrency", `step "${step.title}" sets max-concurrency without foreach`, "max-concurrency bounds the parallel items of a foreach step");
  }

  // An unreadable with: was read as {}: what it would lack is not the author's mistake, so not said (the block's own error is).
  const inputBag = unchecked.has("with") ? new DiagnosticBag(runbook.file) : bag;
  const input = compileTaskInput(contract.input, block.with, scope, { yaml, path: ["with"], bag: inputBag, taskName: contract.name });
  const condition = block.when ? compileCondition(block.when, { document }, site(["when"], "when")) : undefined;
  const approval = APPROVAL_FIELDS.some((field) => unchecked.has(field)) ? undefined : analyseApproval(step, contract, runbook, bag);
  checkEvidence(step, contract, bag, captured, !unchecked.has("evidence") && !unchecked.has("when"));

  const timeoutSeconds = contract.timeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS;
  const retry: Retrier = {
    ErrorEquals: TRANSIENT_ERRORS,
    IntervalSeconds: block.retry?.interval ? parseDuration(block.retry.interval)! : 2,
    MaxAttempts: block.retry?.attempts ?? 4,
    BackoffRate: block.retry?.backoff ?? 2,
    MaxDelaySeconds: block.retry?.["max-delay"] ? parseDuration(block.retry["max-delay"])! : 60,
    JitterStrategy: "FULL",
  };

  let nextDocument = unchecked.has("save") ? openDocument(document) : document;
  let save: AnalysedStep["save"];
  if (block.save) {
    const target = analyseSave(step, bag, saved);
    if (target) {
      const output = outputSchemaOf(contract.output);
      const value: JsonSchema = unchecked.has("foreach") ? ANY : foreach ? { type: "array", items: output } : output;
      nextDocument = withSchemaAt(document, target.segments, value, block.when !== undefined || unchecked.has("when"));
      save = { path: target.path, fields: Object.keys(contract.output.shape) };
    }
  }

  const errorsAfter = bag.items.filter((d) => d.severity === "error").length;
  // A broken step still adds what it saves, so later steps are checked against it instead of
  // drowning the author in follow-on "does not resolve" errors.
  if (errorsAfter > errorsBefore || !input || unchecked.size > 0) return { document: nextDocument };
  return {
    step: {
      step,
      contract,
      input,
      ...(condition ? { condition } : {}),
      ...(foreach ? { foreach } : {}),
      ...(approval ? { approval } : {}),
      retry,
      timeoutSeconds,
      ...(save ? { save } : {}),
    },
    document: nextDocument,
  };
}

const NONE_UNCHECKED: ReadonlySet<StepField> = new Set();
const APPROVAL_FIELDS: readonly StepField[] = ["approval", "timeout", "on-timeout"];

/**
 * The document after a step whose task is unknown or unreadable: its `save:` holds a value of
 * unknown shape, and a step whose `save:` could not be read may have added any field. Either way
 * later steps are checked for their own mistakes, not for the gap this one left.
 */
function withUnknownOutput(step: RunbookStep, document: JsonSchema, bag: DiagnosticBag, saved: Map<string, RunbookStep>): JsonSchema {
  if (step.unchecked?.has("save")) return openDocument(document);
  const target = step.block.save ? analyseSave(step, bag, saved) : undefined;
  return target ? withSchemaAt(document, target.segments, ANY, step.block.when !== undefined || step.unchecked?.has("when") === true) : document;
}

/** The document with any further top-level field allowed (holding anything). */
function openDocument(document: JsonSchema): JsonSchema {
  return { ...document, additionalProperties: true };
}

/** Save targets of conditional steps that this step's own condition does not guarantee. */
function unguardedConditionalSaves(step: RunbookStep, saved: ReadonlyMap<string, RunbookStep>): Map<string, string> {
  const guaranteed = step.block.when ? presentWhenTrue(step.block.when) : [];
  const own = JSON.stringify(step.block.when ?? null);
  const result = new Map<string, string>();
  for (const [key, savedBy] of saved) {
    if (!savedBy.block.when || JSON.stringify(savedBy.block.when) === own) continue;
    const root = `$.${key}`;
    if (guaranteed.some((path) => path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`))) continue;
    result.set(root, savedBy.title);
  }
  return result;
}

/** Paths a condition proves present (and not null) whenever it holds; comparisons are guarded. */
function presentWhenTrue(condition: Condition): string[] {
  if ("all" in condition) return condition.all.flatMap(presentWhenTrue);
  if ("any" in condition) {
    const [first, ...rest] = condition.any.map(presentWhenTrue);
    return (first ?? []).filter((path) => rest.every((paths) => paths.includes(path)));
  }
  if ("not" in condition) return [];
  return condition.exists === false ? [] : [condition.path];
}

function analyseApproval(step: RunbookStep, contract: TaskContract, runbook: Runbook, bag: DiagnosticBag): ApprovalGate | undefined {
  const { block, yaml } = step;
  const mode = block.approval ?? (contract.risk === "read" ? "none" : "required");
  const approvers = runbook.frontMatter.approvers;
  if (mode === "none") {
    if (contract.risk === "destructive") {
      bag.error(yaml.positionOf(block.approval ? ["approval"] : ["task"]), "destructive-without-approval", `step "${step.title}" runs ${contract.name}, which cannot be undone, without approval`, "set approval: required or approval: two-person");
    }
    for (const field of ["timeout", "on-timeout"] as const) {
      if (block[field] !== undefined) bag.error(yaml.positionOf([field], true), "timeout-without-approval", `step "${step.title}" sets ${field} but has no approval to wait for`, "timeout and on-timeout apply to the approval wait");
    }
    return undefined;
  }
  if (contract.risk === "read") {
    bag.error(yaml.positionOf(["approval"]), "approval-on-read", `step "${step.title}" asks approval for ${contract.name}, which changes nothing`, "remove approval; approvals guard steps that change resources");
    return undefined;
  }
  const onTimeout = block["on-timeout"] ?? "abort";
  if (onTimeout === "proceed" && contract.risk === "destructive") {
    bag.error(yaml.positionOf(["on-timeout"]), "proceed-on-destructive", `step "${step.title}" would run ${contract.name}, which cannot be undone, when nobody answers`, "use on-timeout: abort or escalate");
  }
  if (onTimeout === "escalate" && !approvers.escalation) {
    bag.error(yaml.positionOf(["on-timeout"]), "no-escalation-group", `step "${step.title}" escalates, but the front matter names no approvers.escalation`, "add approvers: escalation: [role ARNs] to the front matter");
  }
  return {
    mode,
    approvers: contract.risk === "destructive" ? (approvers.destructive ?? approvers.default) : approvers.default,
    requiredApprovals: mode === "two-person" ? 2 : 1,
    timeoutSeconds: block.timeout ? parseDuration(block.timeout)! : DEFAULT_APPROVAL_TIMEOUT_SECONDS,
    onTimeout,
    ...(onTimeout === "escalate" && approvers.escalation ? { escalationApprovers: approvers.escalation } : {}),
  };
}

/**
 * Evidence first: a step that would destroy evidence (memory on stop, disk and memory on
 * terminate) needs an earlier step that captured it, unconditionally or under the same condition,
 * or an explicit waiver with its reason.
 */
function checkEvidence(step: RunbookStep, contract: TaskContract, bag: DiagnosticBag, captured: { kind: EvidenceKind; when: string }[], judge = true): void {
  const { block, yaml } = step;
  const when = JSON.stringify(block.when ?? null);
  const destroys = contract.evidence?.destroys ?? [];
  const missing = destroys.filter((kind) => !captured.some((c) => c.kind === kind && (c.when === "null" || c.when === when)));
  // `judge` is false when the step's evidence: or when: failed its schema: its waiver or condition is unknown.
  if (judge && missing.length > 0 && !block.evidence) {
    bag.error(yaml.positionOf(["task"]), "evidence-first", `step "${step.title}" (${contract.name}) would destroy ${missing.join(" and ")} before any step captures it`, "add a capture step earlier (ec2.snapshot-volumes, ec2.capture-memory), or evidence: { waived: <reason> }");
  }
  if (block.evidence && destroys.length === 0) {
    bag.warning(yaml.positionOf(["evidence"], true), "unneeded-waiver", `step "${step.title}" waives evidence, but ${contract.name} destroys none`);
  }
  for (const kind of contract.evidence?.captures ?? []) captured.push({ kind, when });
}

function analyseSave(step: RunbookStep, bag: DiagnosticBag, saved: Map<string, RunbookStep>): { path: string; segments: string[] } | undefined {
  const { block, yaml } = step;
  const at = yaml.positionOf(["save"]);
  const parsed = parseReferencePath(block.save!);
  if ("error" in parsed || parsed.root !== "$" || parsed.segments.length === 0 || parsed.segments.some((s) => typeof s === "number")) {
    bag.error(at, "bad-save", `step "${step.title}" save: ${block.save} must name a field, such as $.isolation`, "save takes $.name or $.name.sub, without list indexes");
    return undefined;
  }
  const segments = parsed.segments as string[];
  if (RESERVED_DOCUMENT_FIELDS.includes(segments[0]!)) {
    bag.error(at, "save-reserved", `step "${step.title}" would overwrite $.${segments[0]}, which irflow itself maintains`, `choose another name; reserved: ${RESERVED_DOCUMENT_FIELDS.join(", ")}`);
    return undefined;
  }
  const key = segments.join(".");
  const earlier = [...saved.entries()].find(([other]) => other === key || other.startsWith(`${key}.`) || key.startsWith(`${other}.`));
  if (earlier) {
    bag.error(at, "save-overwrites", `step "${step.title}" saves to $.${key}, which step "${earlier[1].title}" (line ${earlier[1].heading.line}) already fills`, "give each result its own name");
    return undefined;
  }
  saved.set(key, step);
  return { path: `$.${key}`, segments };
}
