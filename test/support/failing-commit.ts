import type { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import type { GroupCommit } from "../../workflows/local/store/group-commit.js";

/**
 * Queues, in the group's next batch, a history row that names no execution, its foreign key
 * deferred: the batch's works all run, then its COMMIT itself fails. The orphan's own promise
 * (rejected with the FOREIGN KEY error, as every other waiter of that batch is).
 */
export function failingCommit(database: EmbeddedDatabase, group: GroupCommit): Promise<unknown> {
  group.add(() => database.db.pragma("defer_foreign_keys = ON"), () => undefined);
  return group.run(() => database.db.prepare("INSERT INTO history_chunks (execution_arn, first_id, last_id, events) VALUES ('nobody', 1, 1, '[]')").run());
}
