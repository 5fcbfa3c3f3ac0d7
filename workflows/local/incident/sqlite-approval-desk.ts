import type { EmbeddedDatabase } from "../store/embedded-database.js";
import { SqliteApprovals } from "../store/sqlite-approvals.js";
import { LocalApprovalDesk, type LocalApprovalDeskOptions } from "./approval-desk.js";

/**
 * The desk on the embedded database: the run that waits and a responder's `irflow approve` in
 * another terminal share it. The run's desk (with the engine) polls for decisions written by the
 * other process and resumes the workflow with the stored token; the responder's desk (no engine)
 * only writes them.
 */
export class SqliteApprovalDesk extends LocalApprovalDesk {
  constructor(database: EmbeddedDatabase, options: Omit<LocalApprovalDeskOptions, "store"> = {}) {
    super({ ...options, store: new SqliteApprovals(database) });
  }
}
