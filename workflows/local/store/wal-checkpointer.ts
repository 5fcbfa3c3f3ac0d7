import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { EmbeddedDatabase } from "./embedded-database.js";

/** How often the checkpointer copies what the WAL holds into the database file. */
export const CHECKPOINT_INTERVAL_MS = 50;

/**
 * The writer's own checkpoint, kept as a backstop: a passive checkpoint beside a busy writer
 * rarely catches up with the WAL's last frame, and only the writer's own (run right after its
 * commit) lets the WAL start over from its beginning.
 */
export const WRITER_CHECKPOINT_PAGES = 10_000;

/** SQLite's default, which the writer goes back to when the checkpointer cannot run. */
const DEFAULT_CHECKPOINT_PAGES = 1000;

/** What one passive checkpoint reports: frames in the WAL, and how many of them are in the database file. */
export interface CheckpointReport {
  readonly busy: boolean;
  readonly log: number;
  readonly checkpointed: number;
}

export interface WalCheckpointerOptions {
  readonly intervalMs?: number;
  /** Told after each checkpoint (tests). */
  readonly onCheckpoint?: (report: CheckpointReport) => void;
  /** Told when the checkpointer stopped on an error (the writer checkpoints for itself again). */
  readonly onError?: (error: Error) => void;
}

export interface WalCheckpointer {
  /**
   * Stops the thread: its connection is closed when this returns (so the caller's can close last
   * and remove the WAL); the promise settles once the thread has exited.
   */
  stop(): Promise<void>;
}

/** How long `stop` waits for the thread to close its connection (a checkpoint under way ends first). */
const STOP_WAIT_MS = 2000;

// CommonJS, evaluated in the worker: better-sqlite3 is loaded by the path the main thread resolved.
// It sleeps on a shared cell between checkpoints, so a stop wakes it at once; whatever happens, it
// closes its connection and says so in the cell's second slot before it ends.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const control = new Int32Array(workerData.control);
let db;
try {
  const Database = require(workerData.module);
  db = new Database(workerData.path);
  db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
  const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  while (Atomics.wait(control, 0, 0, workerData.intervalMs) === "timed-out") {
    let row;
    try {
      row = checkpoint.get();
    } catch (error) {
      // Another connection's checkpoint (another process's checkpointer) is running: the next interval will do.
      if (error.code === "SQLITE_BUSY" || error.code === "SQLITE_LOCKED") continue;
      throw error;
    }
    if (workerData.report) parentPort.postMessage({ busy: row.busy === 1, log: row.log, checkpointed: row.checkpointed });
  }
} finally {
  if (db && db.open) db.close();
  Atomics.store(control, 1, 1);
  Atomics.notify(control, 1);
}
`;

/**
 * Checkpoints a WAL database from a thread of its own. The writer's automatic checkpoint runs
 * inside the COMMIT that crosses 1000 pages, on the event loop: copying the WAL into the file and
 * two fsyncs stalled every incident in flight (an incident's writes are ~300 WAL pages, so every
 * third or fourth incident paid one). Here they happen beside the runner; the writer's own is
 * kept only as a backstop at `WRITER_CHECKPOINT_PAGES`, and comes back at SQLite's default if the
 * thread fails. Durability is unchanged: a commit is acknowledged once it is in the WAL, as
 * before, and the checkpoint (the same passive one) only moves committed pages into the file.
 */
export function startWalCheckpointer(database: Pick<EmbeddedDatabase, "db" | "path" | "busyTimeoutMs">, options: WalCheckpointerOptions = {}): WalCheckpointer {
  const { db } = database;
  // [0]: stop asked; [1]: the thread's connection is closed.
  const control = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve("better-sqlite3"),
      path: database.path,
      busyTimeoutMs: database.busyTimeoutMs,
      intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
      report: options.onCheckpoint !== undefined,
      control: control.buffer,
    },
  });
  // Never what keeps a process alive.
  worker.unref();
  db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
  let stopped = false;
  const writerCheckpointsAgain = () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_CHECKPOINT_PAGES}`);
  };
  if (options.onCheckpoint) worker.on("message", (report: CheckpointReport) => options.onCheckpoint?.(report));
  worker.on("error", (error) => {
    writerCheckpointsAgain();
    options.onError?.(error);
  });
  worker.on("exit", () => {
    if (!stopped) writerCheckpointsAgain();
  });
  return {
    stop() {
      stopped = true;
      writerCheckpointsAgain();
      Atomics.store(control, 0, 1);
      Atomics.notify(control, 0);
      // Blocks until the thread has closed its connection, so the caller's connection closes last
      // (the last one to close checkpoints the WAL and removes it).
      if (Atomics.wait(control, 1, 0, STOP_WAIT_MS) === "timed-out") {
        options.onError?.(new Error(`the WAL checkpoint thread did not close its connection within ${STOP_WAIT_MS} ms; the WAL may stay beside the file until the next open`));
      }
      return worker.terminate().then(() => undefined);
    },
  };
}
