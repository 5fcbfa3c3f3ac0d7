import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { onInterrupt, type StopSignal } from "../../cli/commands/interrupt.js";

function harness(stop: (signal: StopSignal) => Promise<unknown>) {
  const target = new EventEmitter();
  const notices: string[] = [];
  const exits: number[] = [];
  const interrupt = onInterrupt({ stop, notice: (line) => notices.push(line), exit: (code) => exits.push(code), target: target as unknown as Pick<NodeJS.Process, "on" | "off"> });
  return { target, notices, exits, interrupt };
}

describe("onInterrupt", () => {
  it("stops the run once on the first signal, and a second one exits at once with 128 + its number", async () => {
    const stops: StopSignal[] = [];
    const { target, notices, exits, interrupt } = harness((signal) => Promise.resolve(void stops.push(signal)));
    expect(interrupt.signal).toBeUndefined();
    expect(interrupt.stopped).toBeUndefined();
    target.emit("SIGTERM");
    expect(interrupt.signal).toBe("SIGTERM");
    await interrupt.stopped;
    expect(stops).toEqual(["SIGTERM"]);
    expect(exits).toEqual([]);
    target.emit("SIGINT");
    expect(exits).toEqual([130]);
    expect(stops).toEqual(["SIGTERM"]);
    expect(notices.at(-1)).toContain("quitting now");
  });

  it("says so when the run cannot be stopped cleanly, and gives the signals back when disposed", async () => {
    const { target, notices, interrupt } = harness(() => Promise.reject(new Error("database is closed")));
    target.emit("SIGINT");
    await interrupt.stopped;
    expect(notices.at(-1)).toBe("the run could not be stopped cleanly: database is closed");
    interrupt.dispose();
    expect(target.listenerCount("SIGINT") + target.listenerCount("SIGTERM")).toBe(0);
  });
});
