import { describe, expect, it } from "vitest";
import type { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { GroupCommit } from "../../../workflows/local/store/group-commit.js";
import { scratch, scratchValues, useTempDatabases } from "./support.js";

const temp = useTempDatabases();

function scratchTable(database: EmbeddedDatabase): { insert: (value: string) => void; values: () => string[] } {
  return { insert: scratch(database), values: () => scratchValues(database) };
}

/** Counts the transactions begun on the database (a nested call joins the one open). */
function countTransactions(database: EmbeddedDatabase): () => number {
  let begun = 0;
  for (const method of ["immediate", "tryImmediate"] as const) {
    const original = database[method].bind(database) as (work: () => unknown) => unknown;
    (database as unknown as Record<string, unknown>)[method] = (work: () => unknown) => {
      if (!database.db.inTransaction) begun += 1;
      return original(work);
    };
  }
  return () => begun;
}

/** A caller that writes, awaits its commit, does some async work, and writes again: an incident's steps. */
async function steps(group: GroupCommit, insert: (value: string) => void, name: string, count: number): Promise<void> {
  for (let step = 1; step <= count; step += 1) {
    await group.run(() => insert(`${name}${step}`));
    await Promise.resolve();
    await Promise.resolve();
  }
}

describe("GroupCommit follow-up batches", () => {
  it("commits what the settled waiters write next as soon as they have all written it, together, not a loop turn later", async () => {
    const database = temp.fresh();
    const { insert, values } = scratchTable(database);
    const transactions = countTransactions(database);
    const group = new GroupCommit(database);
    const done = Promise.all([steps(group, insert, "a", 3), steps(group, insert, "b", 3)]);
    // Queued after the group's turn: it runs once that turn (and what it set going) is over.
    const seenAtNextTurn = new Promise<string[]>((resolve) => setImmediate(() => resolve(values())));
    await expect(seenAtNextTurn).resolves.toEqual(["a1", "b1", "a2", "b2", "a3", "b3"]);
    await done;
    // One batch per step, both callers in each.
    expect(transactions()).toBe(3);
  });

  it("waits for a turn of the event loop again after its limit of follow-ups in a row", async () => {
    const database = temp.fresh();
    const { insert, values } = scratchTable(database);
    const group = new GroupCommit(database, 1);
    const done = steps(group, insert, "a", 3);
    const seenAtNextTurn = new Promise<string[]>((resolve) => setImmediate(() => resolve(values())));
    // The scheduled batch and one follow-up; the third step waits for its turn.
    await expect(seenAtNextTurn).resolves.toEqual(["a1", "a2"]);
    await done;
    expect(values()).toEqual(["a1", "a2", "a3"]);
  });

  it("still settles a follow-up only after its COMMIT, and a failing work of it alone", async () => {
    const dir = temp.dir();
    const database = temp.open(dir);
    const { insert } = scratchTable(database);
    // Read through another connection: the writing one would see the rows before their COMMIT.
    const reader = temp.open(dir);
    const values = () => scratchValues(reader);
    const group = new GroupCommit(database);
    const seen: string[][] = [];
    const first = group.run(() => insert("a")).then(() => {
      const refused = group.run(() => insert("a")); // UNIQUE: refused, rolled back alone
      const kept = group.run(() => insert("b")).then(() => void seen.push(values()));
      return Promise.allSettled([refused, kept]);
    });
    const [refused, kept] = await first;
    expect(refused.status).toBe("rejected");
    expect(String((refused as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(kept.status).toBe("fulfilled");
    expect(seen).toEqual([["a", "b"]]);
    expect(database.db.inTransaction).toBe(false);
  });
});
