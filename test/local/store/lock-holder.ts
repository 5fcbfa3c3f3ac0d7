import { Worker } from "node:worker_threads";

/**
 * Another connection, on its own thread (immediate() blocks this one while it waits): takes the
 * write lock, writes "held", then commits after `holdMs` (or rolls back when `commit` is false).
 */
export function holdLockElsewhere(path: string, holdMs: number, commit = true): { held: Promise<void>; released: Promise<void> } {
  const worker = new Worker(
    `
    const { workerData, parentPort } = require("node:worker_threads");
    const Database = require("better-sqlite3");
    const db = new Database(workerData.path);
    db.exec("BEGIN IMMEDIATE");
    db.prepare("INSERT INTO scratch (value) VALUES ('held')").run();
    parentPort.postMessage("held");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
    db.exec(workerData.commit ? "COMMIT" : "ROLLBACK");
    db.close();
    `,
    { eval: true, workerData: { path, holdMs, commit } },
  );
  const held = new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  const released = new Promise<void>((resolve, reject) => {
    worker.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`lock holder exited ${code}`))));
  });
  return { held, released };
}
