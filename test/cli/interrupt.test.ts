import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { onInterrupt, type StopSignal } from "../../cli/commands/interrupt.js";

function harness(stop: (signal: StopSignal) => Promise<readonly unknown[]>) {
  const target = new EventEmitter();
  const notices: string[] = [];
  const exits: number[] = [];
  const interrupt = onInterrupt({ stop, notice: (line) => notices.push(line), exit: (code) => exits.push(code), target: target as unknown as Pick<NodeJS.Process, "on" | "off"> });
  return { target, notices, exits, interrupt };
}

describe("onInterrupt", () => {
  it("stops the run once on the first signal, and a second one exits at once with 128 + its number", async () => {
    const stops: StopSignal[] = [];
    const { target, notices, exits, interrupt } = harness((signal) => (stops.push(signal), Promise.resolve(["arn-1"])));
    expect(await interrupt.endedBy("aborted")).toBeUndefined();
    target.emit("SIGTERM");
    // Settles once the stop has finished.
    expect(await interrupt.endedBy("aborted")).toBe("SIGTERM");
    expect(stops).toEqual(["SIGTERM"]);
    expect(exits).toEqual([]);
    target.emit("SIGINT");
    expect(exits).toEqual([130]);
    expect(stops).toEqual(["SIGTERM"]);
    expect(notices.at(-1)).toContain("quitting now");
  });

  it("SIGHUP (the terminal closed, an SSH session dropped) stops the run as SIGTERM does; a second one exits 129", async () => {
    const stops: StopSignal[] = [];
    const { target, notices, exits, interrupt } = harness((signal) => (stops.push(signal), Promise.resolve(["arn-1"])));
    target.emit("SIGHUP");
    expect(await interrupt.endedBy("aborted")).toBe("SIGHUP");
    expect(stops).toEqual(["SIGHUP"]);
    expect(notices[0]).toBe("SIGHUP: stopping the run… (SIGHUP again quits at once)");
    target.emit("SIGHUP");
    expect(exits).toEqual([129]);
    interrupt.dispose();
    expect(target.listenerCount("SIGHUP")).toBe(0);
  });

  it("a run ends by the signal only when the stop stopped something or the incident ended aborted", async () => {
    const idle = harness(() => Promise.resolve([]));
    expect(await idle.interrupt.endedBy("resolved")).toBeUndefined();
    idle.target.emit("SIGINT");
    // Ctrl-C while the finished run wrote its last entries: nothing stopped, it ends as it ended.
    expect(await idle.interrupt.endedBy("resolved")).toBeUndefined();
    expect(await idle.interrupt.endedBy("aborted")).toBe("SIGINT");
    const busy = harness(() => Promise.resolve(["arn-1", "arn-2"]));
    busy.target.emit("SIGTERM");
    expect(await busy.interrupt.endedBy("failed")).toBe("SIGTERM");
    const broken = harness(() => Promise.reject(new Error("database is closed")));
    broken.target.emit("SIGINT");
    expect(await broken.interrupt.endedBy("resolved")).toBeUndefined();
  });

  it("says so when the run cannot be stopped cleanly, and gives the signals back when disposed", async () => {
    const { target, notices, interrupt } = harness(() => Promise.reject(new Error("database is closed")));
    target.emit("SIGINT");
    await interrupt.endedBy("resolved");
    expect(notices.at(-1)).toBe("the run could not be stopped cleanly: database is closed");
    interrupt.dispose();
    expect(target.listenerCount("SIGINT") + target.listenerCount("SIGTERM") + target.listenerCount("SIGHUP")).toBe(0);
  });
});
