import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from "@aws-sdk/client-sfn";
import { awsErrorCode } from "../contract/aws-errors.js";

/** How a service function waits out throttling and 5xx: injected so tests neither sleep nor guess. */
export interface RetryPorts {
  readonly sleep: (ms: number) => Promise<void>;
  /** Attempts per call under throttling or 5xx (default 6, backoff from 100 ms, full jitter). */
  readonly maxAttempts?: number;
  readonly random?: () => number;
}

const RETRYABLE = new Set(["ThrottlingException", "TooManyRequestsException", "Throttling", "ProvisionedThroughputExceededException", "ServiceUnavailable", "InternalServerError", "InternalFailure", "RequestTimeout"]);
const PAGE_SIZE = 1000;

/**
 * Retries a call on throttling, 429 and 5xx with exponential backoff and full jitter. The SDK
 * client's own few attempts are not enough for a burst of ended executions, and an event handler
 * that gives up loses the event to the dead-letter queue.
 */
export async function withRetries<T>(call: () => Promise<T>, ports: RetryPorts): Promise<T> {
  const attempts = ports.maxAttempts ?? 6;
  const random = ports.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
      const retryable = RETRYABLE.has(awsErrorCode(error) ?? "") || status === 429 || status >= 500;
      if (!retryable || attempt >= attempts) throw error;
      await ports.sleep(Math.floor(random() * 100 * 2 ** (attempt - 1)));
    }
  }
}

/** An execution's whole history with its data, in order, 1,000 events a page, each page retried. */
export async function fullHistory(sfn: SFNClient, executionArn: string, ports: RetryPorts): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await withRetries(() => sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: PAGE_SIZE, includeExecutionData: true, ...(nextToken ? { nextToken } : {}) })), ports);
    events.push(...(page.events ?? []));
    nextToken = page.nextToken ?? undefined;
  } while (nextToken);
  return events;
}
