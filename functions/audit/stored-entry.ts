import type { AuditEntry } from "./audit-entry.js";

type Body = Record<string, unknown>;

// Set in StoredEntry's static block, the only place its private fields can be named.
let BODY: PropertyDescriptor;
let unread: (entry: object) => string | undefined;

/**
 * An entry as a store holds it: the body kept as its JSON text and parsed on first read, each
 * entry read getting its own copy (so a caller cannot change the stored log through it). Until the
 * body is read or replaced, `unreadBodyJson` hands verification the exact stored text, which it
 * can hash without building the object. `body` is an own enumerable accessor, so spreading,
 * JSON.stringify and structuredClone see an ordinary entry; the text lives in private fields,
 * which none of them see.
 */
class StoredEntry {
  // `declare`d, not initialised fields: the constructor alone defines them, in an entry's key order.
  declare incidentId: string;
  declare seq: number;
  declare at: string;
  declare kind: string;
  declare actor: string;
  declare readonly body: Body;
  declare prevHash: string;
  declare hash: string;
  #json: string | undefined;
  #body: Body | undefined;
  readonly #parse: (text: string) => Body;

  constructor(fields: Omit<AuditEntry, "body">, json: string, parse: (text: string) => Body) {
    this.#json = json;
    this.#parse = parse;
    this.incidentId = fields.incidentId;
    this.seq = fields.seq;
    this.at = fields.at;
    this.kind = fields.kind;
    this.actor = fields.actor;
    Object.defineProperty(this, "body", BODY);
    this.prevHash = fields.prevHash;
    this.hash = fields.hash;
  }

  static {
    // One shared descriptor (not a closure per entry): defining accessors per object literal is ~10x slower.
    BODY = {
      enumerable: true,
      configurable: true,
      get(this: StoredEntry): Body {
        if (this.#body === undefined) {
          this.#body = this.#parse(this.#json!);
          this.#json = undefined;
        }
        return this.#body;
      },
      set(this: StoredEntry, value: Body) {
        this.#body = value;
        this.#json = undefined;
      },
    };
    unread = (entry) => (#json in entry ? entry.#json : undefined);
  }
}

/** An entry whose body is parsed from `bodyJson` when first read. */
export function storedEntry(fields: Omit<AuditEntry, "body">, bodyJson: string, parse: (text: string) => Body): AuditEntry {
  return new StoredEntry(fields, bodyJson, parse);
}

/** The stored text of an entry's body, if nothing has read or replaced the body since it was loaded. */
export const unreadBodyJson = (entry: object): string | undefined => unread(entry);
