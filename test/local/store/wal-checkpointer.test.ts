import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startWalCheckpointer, WRITER_CHECKPOINT_PAGES, type CheckpointReport } from "../../../workflows/local/store/wal-checkpointer.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

const writerCheckpointPages = (db: { pragma: (source: string, options: { simple: true }) => unknown }) => db.pragma("wal_autocheckpoint", { simple: true });

describe("WAL checkpointer", () => {
  it("copies committed pages into the database file from its own thread; the writer's own checkpoint is only a backstop", async () => {
    const database = temp.fresh();
    database.db.exec("CREATE TABLE scratch (value TEXT NOT NULL)");
    const reports: CheckpointReport[] = [];
    const checkpointer = startWalCheckpointer(database, { intervalMs: 5, onCheckpoint: (report) => reports.push(report) });
    expect(writerCheckpointPages(database.db)).toBe(WRITER_CHECKPOINT_PAGES);
    const insert = database.db.prepare<[string]>("INSERT INTO scratch (value) VALUES (?)");
    for (let i = 0; i < 50; i += 1) insert.run("x".repeat(2000));
    await expect.poll(() => reports.some((r) => r.log > 0 && r.checkpointed === r.log), { timeout: 5000 }).toBe(true);
    await checkpointer.stop();
    // Stopped: the writer checkpoints for itself again, at SQLite's default.
    expect(writerCheckpointPages(database.db)).toBe(1000);
    expect(database.db.prepare("SELECT count(*) AS n FROM scratch").get()).toEqual({ n: 50 });
    // Reopened, the file holds every row.
    database.close();
    expect(temp.open(join(database.path, "..")).db.prepare("SELECT count(*) AS n FROM scratch").get()).toEqual({ n: 50 });
  });

  it("hands the checkpoint back to the writer when its thread cannot run", async () => {
    const database = temp.fresh();
    const failed = new Promise<Error>((resolve) => {
      startWalCheckpointer({ db: database.db, busyTimeoutMs: 0, path: join(database.path, "no", "such", "dir", "irflow.db") }, { onError: resolve });
    });
    expect((await failed).message).toMatch(/directory does not exist|unable to open/i);
    expect(writerCheckpointPages(database.db)).toBe(1000);
  });

  it("has closed its thread's connection when stop returns, so the writer's close is the last and removes the WAL", async () => {
    const database = temp.fresh();
    database.db.exec("CREATE TABLE scratch (value TEXT NOT NULL)");
    const reports: CheckpointReport[] = [];
    const checkpointer = startWalCheckpointer(database, { intervalMs: 5, onCheckpoint: (report) => reports.push(report) });
    const insert = database.db.prepare<[string]>("INSERT INTO scratch (value) VALUES (?)");
    for (let i = 0; i < 20; i += 1) insert.run("x".repeat(2000));
    await expect.poll(() => reports.length > 0, { timeout: 5000 }).toBe(true);
    expect(existsSync(`${database.path}-wal`)).toBe(true);
    const exited = checkpointer.stop();
    // Not awaited: the close right after stop (as the local runtime's) is already the last one.
    database.close();
    expect(existsSync(`${database.path}-wal`)).toBe(false);
    await exited;
    expect(temp.open(join(database.path, "..")).db.prepare("SELECT count(*) AS n FROM scratch").get()).toEqual({ n: 20 });
  });

  it("stopped before its thread has started, it still closes the thread's connection first", async () => {
    const database = temp.fresh();
    database.db.exec("CREATE TABLE scratch (value TEXT NOT NULL)");
    const asked = performance.now();
    const exited = startWalCheckpointer(database).stop();
    // The thread says it is done; stop does not sit out its 2 s wait.
    expect(performance.now() - asked).toBeLessThan(1000);
    database.close();
    expect(existsSync(`${database.path}-wal`)).toBe(false);
    await exited;
  });
});
