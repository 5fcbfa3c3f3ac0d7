/**
 * Calls `callback` once every microtask queued so far, and every one those queue in turn, has run,
 * but before the event loop moves on to timers, I/O or `setImmediate`: a microtask queues a tick,
 * and Node runs ticks queued from microtasks only after the microtask queue has drained.
 */
export function afterMicrotasks(callback: () => void): void {
  queueMicrotask(() => process.nextTick(callback));
}
