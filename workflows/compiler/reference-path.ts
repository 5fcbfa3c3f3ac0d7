/**
 * ASL reference paths (`$.resource.instanceId`, `$.instance.volumeIds[0]`): the subset of JSONPath
 * that Step Functions accepts in Parameters, ResultPath and Choice rules. No wildcards, filters or
 * slices: a path names exactly one value, which is what lets the compiler type-check it.
 */
export type PathSegment = string | number;

export interface ParsedPath {
  readonly root: "$" | "$$";
  readonly segments: readonly PathSegment[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*/;

export function parseReferencePath(text: string): ParsedPath | { error: string } {
  const root = text.startsWith("$$") ? "$$" : text.startsWith("$") ? "$" : undefined;
  if (!root) return { error: "a path starts with $" };
  const segments: PathSegment[] = [];
  let rest = text.slice(root.length);
  while (rest.length > 0) {
    if (rest.startsWith(".")) {
      const name = NAME.exec(rest.slice(1));
      if (!name) return { error: `expected a field name after "." in ${text}` };
      segments.push(name[0]);
      rest = rest.slice(1 + name[0].length);
    } else if (rest.startsWith("[")) {
      const index = /^\[(\d{1,6})\]/.exec(rest);
      const quoted = /^\['([A-Za-z0-9_:\-. ]+)'\]/.exec(rest);
      if (index) {
        segments.push(Number(index[1]));
        rest = rest.slice(index[0].length);
      } else if (quoted) {
        segments.push(quoted[1]!);
        rest = rest.slice(quoted[0].length);
      } else {
        return { error: `only [index] and ['name'] are allowed in brackets: ${text}` };
      }
    } else {
      return { error: `unexpected "${rest[0]}" in ${text}` };
    }
  }
  return { root, segments };
}

export function formatReferencePath(path: ParsedPath): string {
  return path.root + path.segments.map((s) => (typeof s === "number" ? `[${s}]` : NAME.exec(s)?.[0] === s ? `.${s}` : `['${s}']`)).join("");
}
