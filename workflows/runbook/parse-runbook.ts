import { createHash } from "node:crypto";
import MarkdownIt, { type PluginWithOptions } from "markdown-it";
import frontMatterUntyped from "markdown-it-front-matter";
import { closest, DiagnosticBag, type Diagnostic, type SourcePosition } from "../diagnostics.js";
import { reservedTitleProblem } from "../compiler/state-names.js";
import { LocatedYaml } from "./located-yaml.js";
import { recoverStepBlock, UNREADABLE_BLOCK } from "./step-recovery.js";
import type { Runbook, RunbookPhase, RunbookStep } from "./runbook.js";
import type { Trigger} from "./schema.js";
import { FrontMatter, PHASE_TITLES, PHASES, StepBlock, TRIGGER_KINDS, TRIGGER_SCHEMAS, type Phase } from "./schema.js";

export interface ParseResult {
  /** Present once the front matter and the sections read; compile it only when `diagnostics` hold no error. */
  readonly runbook?: Runbook;
  readonly diagnostics: readonly Diagnostic[];
}

const MAX_RUNBOOK_BYTES = 512 * 1024;
// Step Functions allows 80 characters; "Record failure: " (16) is the longest prefix a step gets.
const MAX_STATE_NAME = 64;

/** A fenced block or heading as the walk needs it: its text and where it starts (1-based). */
interface Located {
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

type FrontMatterBlock = Located;

// markdown-it (CommonMark) rather than micromark: it is ~30x faster on runbooks, which matters
// when a team compiles a hundred of them on every commit; block tokens carry their source lines.
// One parser serves every call: parse() is synchronous, so the front-matter slot cannot be shared.
let frontMatterSeen: string | undefined;
// The plugin's bundled types point at a markdown-it path that no longer exists.
const frontMatter = frontMatterUntyped as unknown as PluginWithOptions<(yaml: string) => void>;
const markdown = new MarkdownIt("commonmark").use(frontMatter, (yaml: string) => {
  frontMatterSeen = yaml;
});

function tokenize(text: string): { tokens: ReturnType<MarkdownIt["parse"]>; front?: FrontMatterBlock } {
  frontMatterSeen = undefined;
  const tokens = markdown.parse(text, {});
  const yaml = frontMatterSeen as string | undefined;
  return { tokens, ...(yaml !== undefined ? { front: { text: yaml, line: 2, column: 1 } } : {}) };
}

/**
 * Reads a markdown runbook: YAML front matter, `##` phase sections, `###` steps, each with one
 * fenced `step` block. Prose stays prose; only the structure and the blocks are interpreted.
 * Never throws on bad input: every problem becomes a diagnostic with file, line and column.
 */
export function parseRunbook(file: string, text: string): ParseResult {
  const bag = new DiagnosticBag(file);
  if (Buffer.byteLength(text) > MAX_RUNBOOK_BYTES) {
    bag.error({ line: 1, column: 1 }, "too-large", `runbook is larger than ${MAX_RUNBOOK_BYTES / 1024} KiB`, "split it into several runbooks");
    return { diagnostics: bag.items };
  }
  const { tokens, front } = tokenize(text);
  const header = front ? readFrontMatter(front, bag) : undefined;
  if (!front) {
    bag.error({ line: 1, column: 1 }, "missing-front-matter", "a runbook starts with YAML front matter between --- lines", "add id, title, severity, triggers and approvers");
  }

  const { phases: steps, structural } = readSections(tokens, text, bag);
  // Errors inside step blocks and headings still leave a runbook to check (each step for what its
  // valid fields decide), so a file's problems show in one pass; a missing or misplaced section
  // does not: its steps would be missing and every later reference to them would fail too.
  if (!header || structural) return { diagnostics: bag.items };

  return {
    runbook: {
      file,
      id: header.frontMatter.id,
      title: header.frontMatter.title,
      frontMatter: header.frontMatter,
      triggers: header.triggers,
      frontMatterYaml: header.yaml,
      revision: sha256(text),
      phases: steps,
    },
    diagnostics: bag.items,
  };
}

/**
 * The id a runbook's front matter declares, read from that field alone, so a file with problems
 * elsewhere still answers to its id; undefined when there is no readable, well-formed id.
 */
export function declaredRunbookId(text: string): string | undefined {
  if (Buffer.byteLength(text) > MAX_RUNBOOK_BYTES) return undefined;
  const { front } = tokenize(text);
  if (!front) return undefined;
  const { document } = new LocatedYaml(front.text, front);
  if (document.errors.length > 0) return undefined;
  const id = FrontMatter.shape.id.safeParse(document.get("id"));
  return id.success ? id.data : undefined;
}

function readFrontMatter(block: FrontMatterBlock, bag: DiagnosticBag): { frontMatter: FrontMatter; triggers: Trigger[]; yaml: LocatedYaml } | undefined {
  const yaml = new LocatedYaml(block.text, { line: block.line, column: block.column });
  if (!yaml.reportSyntax(bag, "front-matter-syntax")) return undefined;
  const js = yaml.toJS(bag, "front-matter-syntax");
  if (!js) return undefined;
  const parsed = FrontMatter.safeParse(js.value);
  if (!parsed.success) {
    yaml.reportIssues(bag, "front-matter", parsed.error.issues, (path) => `front matter ${describePath(path)}`);
    return undefined;
  }
  const triggers: Trigger[] = [];
  parsed.data.triggers.forEach((raw, index) => {
    const trigger = readTrigger(raw, index, yaml, bag);
    if (trigger) triggers.push(trigger);
  });
  return { frontMatter: parsed.data, triggers, yaml };
}

function readTrigger(raw: unknown, index: number, yaml: LocatedYaml, bag: DiagnosticBag): Trigger | undefined {
  const at = yaml.positionOf(["triggers", index]);
  const kinds = raw !== null && typeof raw === "object" ? Object.keys(raw).filter((key) => (TRIGGER_KINDS as readonly string[]).includes(key)) : [];
  if (kinds.length !== 1) {
    const keys = raw !== null && typeof raw === "object" ? Object.keys(raw) : [];
    const guess = keys.map((key) => closest(key, TRIGGER_KINDS)).find(Boolean);
    bag.error(at, "trigger", `triggers[${index}] must have exactly one of ${TRIGGER_KINDS.join(", ")}`, guess ? `did you mean "${guess}"?` : undefined);
    return undefined;
  }
  const kind = kinds[0] as (typeof TRIGGER_KINDS)[number];
  const parsed = TRIGGER_SCHEMAS[kind].safeParse(raw);
  if (!parsed.success) {
    yaml.reportIssues(bag, "trigger", parsed.error.issues, (path) => `triggers[${index}] ${describePath(path)}`.trimEnd(), ["triggers", index]);
    return undefined;
  }
  return parsed.data;
}

interface OpenStep {
  readonly title: string;
  readonly heading: SourcePosition;
  readonly phase: Phase | undefined;
  block?: Located;
}

type Token = ReturnType<MarkdownIt["parse"]>[number];

function readSections(tokens: readonly Token[], text: string, bag: DiagnosticBag): { phases: RunbookPhase[]; structural: boolean } {
  const lines = text.split("\n");
  // An error in the layout itself (sections, blocks out of place), not inside one step.
  let structural = false;
  const phases = new Map<Phase, { heading: SourcePosition; steps: RunbookStep[] }>();
  const seenIds = new Map<string, SourcePosition>();
  let section: { phase: Phase | undefined; title: string; heading: SourcePosition; reported: boolean } | undefined;
  let step: OpenStep | undefined;

  const closeStep = (): void => {
    if (!step) return;
    if (step.phase && step.block) {
      phases.get(step.phase)?.steps.push(readStep(step.phase, step, step.block, bag, seenIds));
    } else if (step.phase && !step.block) {
      bag.warning(step.heading, "manual-step", `step "${step.title}" has no step block, so it is left to people`, "add a ```step block to automate it, or keep it as written guidance");
    }
    step = undefined;
  };

  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.type === "heading_open") {
      const depth = Number(token.tag.slice(1));
      const title = headingText(tokens[index + 1]);
      const at = positionOf(token, lines);
      if (depth <= 2) closeStep();
      if (depth === 2) {
        const phase = phaseOf(title);
        section = { phase, title, heading: at, reported: false };
        if (phase) {
          const previous = phases.get(phase);
          const later = [...phases.keys()].find((seen) => PHASES.indexOf(seen) > PHASES.indexOf(phase));
          if (previous || later) structural = true;
          if (previous) bag.error(at, "duplicate-phase", `phase "${PHASE_TITLES[phase]}" appears twice (first at line ${previous.heading.line})`, "merge the two sections");
          else if (later) bag.error(at, "phase-order", `phase "${PHASE_TITLES[phase]}" comes after "${PHASE_TITLES[later]}"`, `phases run in this order: ${PHASES.map((p) => PHASE_TITLES[p]).join(", ")}`);
          else phases.set(phase, { heading: at, steps: [] });
        }
      } else if (depth === 3) {
        closeStep();
        step = { title, heading: at, phase: section?.phase };
      }
      continue;
    }
    if (token.type === "fence" && token.info.trim().split(/\s+/)[0] === "step") {
      const at = positionOf(token, lines);
      const block: Located = { text: token.content, line: at.line + 1, column: at.column };
      if (!section || !step) {
        structural = true;
        bag.error(at, "orphan-step-block", "a step block must sit under a ### step heading inside a ## phase section", "add a ### heading naming the step above this block");
      } else if (!section.phase) {
        structural = true;
        if (!section.reported) {
          const guess = closest(section.title, Object.values(PHASE_TITLES), 6);
          bag.error(section.heading, "unknown-phase", `"${section.title}" is not an incident-response phase, yet it holds steps`, guess ? `did you mean "${guess}"? Phases: ${Object.values(PHASE_TITLES).join(", ")}` : `phases: ${Object.values(PHASE_TITLES).join(", ")}`);
          section.reported = true;
        }
      } else if (step.block) {
        structural = true;
        bag.error(at, "two-step-blocks", `step "${step.title}" has more than one step block`, "give each block its own ### heading");
      } else {
        step.block = block;
      }
    }
  }
  closeStep();

  return {
    phases: PHASES.map((phase) => {
      const found = phases.get(phase);
      return found ? { phase, heading: found.heading, steps: found.steps } : { phase, steps: [] };
    }),
    structural,
  };
}

/** The heading's text as a reader sees it: inline code and emphasis reduced to their text. */
function headingText(inline: Token | undefined): string {
  if (!inline?.children) return (inline?.content ?? "").trim();
  return inline.children
    .filter((child) => child.type === "text" || child.type === "code_inline" || child.type === "softbreak")
    .map((child) => (child.type === "softbreak" ? " " : child.content))
    .join("")
    .trim();
}

function readStep(phase: Phase, open: OpenStep, block: Located, bag: DiagnosticBag, seenIds: Map<string, SourcePosition>): RunbookStep {
  const blockStart = { line: block.line - 1, column: block.column };
  const yaml = new LocatedYaml(block.text, { line: block.line, column: block.column });
  if (open.title.length === 0 || open.title.length > MAX_STATE_NAME) {
    bag.error(open.heading, "step-title", `a step title must have 1 to ${MAX_STATE_NAME} characters (it names the state)`, "shorten the heading; the prose below can say more");
  }
  const reserved = reservedTitleProblem(open.title);
  if (reserved) {
    bag.error(open.heading, "reserved-step-name", reserved, "rename the step");
  }
  const slug = slugify(open.title);
  const id = `${phase}/${slug}`;
  const previous = seenIds.get(slug);
  if (previous) {
    bag.error(open.heading, "duplicate-step", `step "${open.title}" has the same name as the step at line ${previous.line}`, "step names are unique within a runbook: they name states and idempotency keys");
  } else {
    seenIds.set(slug, open.heading);
  }
  const hash = sha256(`${open.title}\n${block.text}`);
  // A block that cannot be read still holds its place: what it would have saved is unknown.
  const unreadable = (): RunbookStep => ({ phase, title: open.title, id, heading: open.heading, yaml, hash, ...UNREADABLE_BLOCK });
  if (!yaml.reportSyntax(bag, "step-syntax")) return unreadable();
  const js = yaml.toJS(bag, "step-syntax");
  if (!js) return unreadable();
  const raw = js.value;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    bag.error(blockStart, "step-block", `the step block of "${open.title}" must be a YAML mapping with at least "task"`, 'for example: task: ec2.isolate-instance');
    return unreadable();
  }
  const parsed = StepBlock.safeParse(raw);
  if (!parsed.success) {
    yaml.reportIssues(bag, "step-block", parsed.error.issues, (path) => `step "${open.title}" ${describePath(path)}`.trimEnd());
    return { phase, title: open.title, id, heading: open.heading, yaml, hash, ...recoverStepBlock(raw as Record<string, unknown>, parsed.error.issues) };
  }
  // A bad title is reported above; the block is still checked, and the runbook is not compiled.
  return { phase, title: open.title, id, heading: open.heading, block: parsed.data, yaml, hash };
}

function phaseOf(title: string): Phase | undefined {
  const key = title.toLowerCase().replace(/[\s_]+/g, "-");
  if (key === "postincident" || key === "post-incident-activity" || key === "post-incident") return "post-incident";
  return (PHASES as readonly string[]).includes(key) ? (key as Phase) : undefined;
}

export function slugify(title: string): string {
  return title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "") || "step";
}

/** markdown-it gives block tokens 0-based source lines; the column is the line's indentation. */
function positionOf(token: Token, lines: readonly string[]): SourcePosition {
  const line = (token.map?.[0] ?? 0) + 1;
  const indent = /^[ \t]*/.exec(lines[line - 1] ?? "")?.[0].length ?? 0;
  return { line, column: indent + 1 };
}

function describePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "" : `"${path.map(String).join(".")}"`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
