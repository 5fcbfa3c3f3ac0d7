import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { sha256Hex } from "../../functions/contract/digest.js";
import type { StateMachine } from "./asl.js";

/**
 * Remembers which definitions asl-validator already accepted, keyed by the SHA-256 of their
 * JSON and the validator's version, like eslint --cache: recompiling a project revalidates only
 * the machines whose text changed. Entries are content-addressed, so a stale cache can only cost
 * time, never hide a problem; a corrupt or missing file is an empty cache.
 */
export class ValidationCache {
  private readonly accepted: Set<string>;
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly validatorVersion: string,
  ) {
    this.accepted = new Set(readEntries(path, validatorVersion));
  }

  /**
   * Plain JSON, not canonical: the compiler always emits keys in the same order, the same text is
   * always the same definition, and sorting keys cost 4x more than the hash (0.6 ms a machine).
   * Equal definitions written in another key order merely miss.
   */
  static keyOf(definition: StateMachine): string {
    return ValidationCache.keyOfJson(JSON.stringify(definition));
  }

  /** keyOf, from the definition's JSON.stringify text when the caller has it already. */
  static keyOfJson(json: string): string {
    return sha256Hex(json);
  }

  has(definition: StateMachine): boolean {
    return this.hasKey(ValidationCache.keyOf(definition));
  }

  hasKey(key: string): boolean {
    return this.accepted.has(key);
  }

  remember(definitions: readonly StateMachine[]): void {
    this.rememberKeys(definitions.map((definition) => ValidationCache.keyOf(definition)));
  }

  /** Keys from keyOf, of definitions asl-validator has just accepted. */
  rememberKeys(keys: readonly string[]): void {
    for (const key of keys) {
      if (!this.accepted.has(key)) {
        this.accepted.add(key);
        this.dirty = true;
      }
    }
  }

  save(): void {
    if (!this.dirty) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, JSON.stringify({ validator: this.validatorVersion, keys: KEY_FORMAT, accepted: [...this.accepted] }));
      renameSync(temporary, this.path);
    } catch (error) {
      // A half-written copy (a full disk, say) would otherwise stay beside the cache for good.
      rmSync(temporary, { force: true });
      throw error;
    }
    this.dirty = false;
  }
}

/** Names how keys are made, so a cache written with other keys is ignored rather than misread. */
const KEY_FORMAT = "sha256-json";

function readEntries(path: string, version: string): string[] {
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as { validator?: unknown; keys?: unknown; accepted?: unknown };
    if (data.validator !== version || data.keys !== KEY_FORMAT || !Array.isArray(data.accepted)) return [];
    return data.accepted.filter((entry): entry is string => typeof entry === "string" && /^[0-9a-f]{64}$/.test(entry));
  } catch {
    return [];
  }
}
