import type { TimelineItem } from "../incident-record.js";

/**
 * The log's entries in the order things happened. Chain order is write order, and an entry can be
 * written after a later one yet carry an earlier time (a phase's start is recorded with its
 * execution's start time, after the incident it belongs to was opened). Stable for equal times, so
 * the same log always gives the same report; a time that does not parse goes with the entry before it.
 */
export function timelineInTimeOrder(items: readonly TimelineItem[]): TimelineItem[] {
  let previous = Number.NEGATIVE_INFINITY;
  const keyed = items.map((item, index) => {
    const parsed = Date.parse(item.at);
    if (!Number.isNaN(parsed)) previous = parsed;
    return { item, index, time: previous };
  });
  return keyed.sort((a, b) => a.time - b.time || a.index - b.index).map(({ item }) => item);
}
