import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { canonicalJson, sha256Hex } from "../../functions/contract/digest.js";
import type { StateMachine } from "./asl.js";

/**
 * Remembers which definitions asl-validator already accepted, keyed by the SHA-256 of their
 * canonical JSON and the validator's version, like eslint --cache: recompiling a project
 * revalidates only the machines whose text changed. Entries are content-addressed, so a stale
 * cache can only cost time, never hide a problem; a corrupt or missing file is an empty cache.
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

  static keyOf(definition: StateMachine): string {
    return sha256Hex(canonicalJson(definition));
  }

  has(definition: StateMachine): boolean {
    return this.accepted.has(ValidationCache.keyOf(definition));
  }

  remember(definitions: readonly StateMachine[]): void {
    for (const definition of definitions) {
      const key = ValidationCache.keyOf(definition);
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
    writeFileSync(temporary, JSON.stringify({ validator: this.validatorVersion, accepted: [...this.accepted] }));
    renameSync(temporary, this.path);
    this.dirty = false;
  }
}

function readEntries(path: string, version: string): string[] {
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as { validator?: unknown; accepted?: unknown };
    if (data.validator !== version || !Array.isArray(data.accepted)) return [];
    return data.accepted.filter((entry): entry is string => typeof entry === "string" && /^[0-9a-f]{64}$/.test(entry));
  } catch {
    return [];
  }
}
