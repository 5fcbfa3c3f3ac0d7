import { isMap, isScalar, isSeq, type Document, type LineCounter } from "yaml";

/**
 * Where a field of a parsed YAML (or JSON) document starts: the line and column of the deepest
 * node that exists on `path`, so a schema error can name `file:line:col` and not only the field.
 * `key`: the field's key rather than its value, for a field that should not be there at all (its
 * value may be lines below, or a whole block).
 */
export function yamlPosition(doc: Document, lines: LineCounter, path: readonly (string | number)[], { key: atKey = false }: { readonly key?: boolean } = {}): { line: number; column: number } | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    let node: unknown = doc.contents;
    let ok = true;
    for (const [index, key] of path.slice(0, depth).entries()) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
        if (!pair) {
          ok = false;
          break;
        }
        node = atKey && index === path.length - 1 ? pair.key : (pair.value ?? pair.key);
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
        if (node === undefined) {
          ok = false;
          break;
        }
      } else {
        ok = false;
        break;
      }
    }
    const range = ok && node !== null && typeof node === "object" && "range" in node ? (node as { range?: [number, number, number] }).range : undefined;
    if (range) {
      const { line, col } = lines.linePos(range[0]);
      return { line, column: col };
    }
  }
  return undefined;
}
