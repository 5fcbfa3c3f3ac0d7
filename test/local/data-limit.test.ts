import { describe, expect, it } from "vitest";
import { checkDataLimit, DATA_LIMIT_BYTES } from "../../workflows/local/errors.js";
import { serialiseForNow, takeSerialised } from "../../workflows/local/json.js";

describe("checkDataLimit", () => {
  it("passes up to the cap in UTF-8 bytes and refuses one byte more, naming the size, neither retryable nor catchable", () => {
    const frame = JSON.stringify({ blob: "" }).length;
    expect(() => checkDataLimit({ blob: "x".repeat(DATA_LIMIT_BYTES - frame) }, "the result")).not.toThrow();
    // Three-byte characters: under the cap in UTF-16 units, over it in bytes.
    const wide = { blob: "€".repeat(Math.ceil((DATA_LIMIT_BYTES - frame) / 3) + 1) };
    expect(JSON.stringify(wide).length).toBeLessThan(DATA_LIMIT_BYTES);
    let thrown: unknown;
    try {
      checkDataLimit(wide, "the result of big");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: "States.DataLimitExceeded", message: `the result of big is ${Buffer.byteLength(JSON.stringify(wide))} bytes; Step Functions allows ${DATA_LIMIT_BYTES}`, isRetryable: false, isCatchable: false });
  });

  it("leaves the JSON it measured for the next serialiser of that very object, once, and only in the same synchronous run", async () => {
    const result = { Payload: { ok: true }, StatusCode: 200 };
    checkDataLimit(result, "the result");
    expect(takeSerialised({ ...result })).toBeUndefined();
    checkDataLimit(result, "the result");
    expect(takeSerialised(result)).toBe(JSON.stringify(result));
    expect(takeSerialised(result)).toBeUndefined();
    // Kept no longer than the run: changed later, the object is never answered with stale JSON.
    checkDataLimit(result, "the result");
    await Promise.resolve();
    result.StatusCode = 500;
    expect(takeSerialised(result)).toBeUndefined();
  });

  it("keeps nothing of a value that is not an object", () => {
    expect(serialiseForNow("text")).toBe('"text"');
    expect(serialiseForNow(undefined)).toBeUndefined();
    expect(takeSerialised("text")).toBeUndefined();
  });
});
