/**
 * Maps over items with at most `limit` calls in flight: IAM throttles account-wide, so a scan of
 * every user must not fire thousands of requests at once, nor crawl one at a time. Items not
 * reached before the signal aborts are left undefined.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, signal?: AbortSignal): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = items.map(() => undefined);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const present = <T>(value: T | undefined): value is T => value !== undefined;
