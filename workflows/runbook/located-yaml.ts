import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from "yaml";
import type * as z from "zod";
import type { DiagnosticBag, SourcePosition } from "../diagnostics.js";

/**
 * A YAML text embedded in a markdown file (front matter or a fenced step block), parsed with
 * source positions so that every problem points at the file's own line and column.
 */
export class LocatedYaml {
  private readonly lines = new LineCounter();
  readonly document: Document;

  constructor(
    text: string,
    /** Position in the markdown file of the first character of `text`. */
    private readonly origin: SourcePosition,
  ) {
    this.document = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, strict: true });
  }

  /** Reports YAML syntax errors; true when the text parsed. */
  reportSyntax(bag: DiagnosticBag, code: string): boolean {
    for (const error of this.document.errors) {
      bag.error(this.at(error.pos[0]), code, `invalid YAML: ${firstLine(error.message)}`, "check the indentation and quoting of this block");
    }
    return this.document.errors.length === 0;
  }

  /**
   * The plain value; undefined (with a diagnostic) when it cannot be built, e.g. an alias to an
   * anchor that does not exist or an alias bomb past the limit.
   */
  toJS(bag: DiagnosticBag, code: string): { value: unknown } | undefined {
    try {
      return { value: this.document.toJS({ maxAliasCount: 50 }) };
    } catch (error) {
      bag.error(this.origin, code, `invalid YAML: ${firstLine(error instanceof Error ? error.message : String(error))}`, "anchors and aliases are rarely needed in a runbook; write the values out");
      return undefined;
    }
  }

  /** Position of the node at `path`; falls back to the nearest ancestor that exists. */
  positionOf(path: readonly PropertyKey[], preferKey = false): SourcePosition {
    for (let depth = path.length; depth >= 0; depth--) {
      const found = this.lookup(path.slice(0, depth), preferKey && depth === path.length);
      if (found !== undefined) return this.at(found);
    }
    return this.origin;
  }

  /** Reports each zod issue at the place it names. */
  reportIssues(bag: DiagnosticBag, code: string, issues: readonly z.core.$ZodIssue[], describe: (path: readonly PropertyKey[]) => string, within: readonly PropertyKey[] = []): void {
    for (const issue of issues) {
      const path = [...within, ...issue.path];
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          bag.error(this.positionOf([...path, key], true), code, `${describe([...issue.path, key])}: unknown field "${key}"`, hintForUnknownKey(key));
        }
        continue;
      }
      bag.error(this.positionOf(path), code, `${describe(issue.path)}: ${issue.message}`);
    }
  }

  at(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    return { line: this.origin.line + line - 1, column: line === 1 ? this.origin.column + col - 1 : col };
  }

  private lookup(path: readonly PropertyKey[], preferKey: boolean): number | undefined {
    let node: unknown = this.document.contents;
    let pair: Pair | undefined;
    for (const key of path) {
      pair = undefined;
      if (isMap(node)) {
        pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
        if (!pair) return undefined;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
      } else {
        return undefined;
      }
    }
    const target = preferKey && pair && isNode(pair.key) ? pair.key : node;
    return isNode(target) ? rangeStart(target) : undefined;
  }
}

function rangeStart(node: Node): number | undefined {
  return isPair(node) ? undefined : node.range?.[0];
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

const KEY_HINTS: Record<string, string> = {
  onTimeout: 'the field is spelt "on-timeout"',
  on_timeout: 'the field is spelt "on-timeout"',
  input: 'task inputs go under "with"',
  params: 'task inputs go under "with"',
  parameters: 'task inputs go under "with"',
  condition: 'conditions go under "when"',
  if: 'conditions go under "when"',
  for_each: 'the field is spelt "foreach"',
  forEach: 'the field is spelt "foreach"',
  output: 'results are stored with "save"',
  resultPath: 'results are stored with "save"',
};

function hintForUnknownKey(key: string): string | undefined {
  return KEY_HINTS[key];
}
