import { createHash } from "node:crypto";
import type { HistoryEvent } from "@aws-sdk/client-sfn";

/** How a history refers to a task token without holding it in clear (the local history and the AWS archive alike). */
export function tokenDigest(token: string): string {
  return `sha256:${createHash("sha256").update(token).digest("hex").slice(0, 16)}`;
}

/**
 * The task tokens an execution's history carries: the `taskToken` each `.waitForTaskToken` state
 * put in its TaskScheduled parameters. A token is a bearer credential while its task waits, so an
 * archive kept for years holds a digest in its place.
 */
export function taskTokensIn(events: readonly HistoryEvent[]): Set<string> {
  const tokens = new Set<string>();
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === "object" && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "taskToken" && typeof inner === "string" && inner !== "") tokens.add(inner);
        else collect(inner);
      }
    }
  };
  for (const event of events) {
    const parameters = event.taskScheduledEventDetails?.parameters;
    if (!parameters) continue;
    try {
      collect(JSON.parse(parameters));
    } catch {
      // Not JSON: Step Functions writes JSON here; nothing to find in anything else.
    }
  }
  return tokens;
}

/** `text` with every one of `tokens` replaced by its digest, wherever it appears (parameters, inputs, outputs). */
export function withoutTaskTokens(text: string, tokens: ReadonlySet<string>): string {
  let clean = text;
  for (const token of tokens) clean = clean.split(token).join(tokenDigest(token));
  return clean;
}
