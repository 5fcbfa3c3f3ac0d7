/**
 * `Promise.withResolvers` (ES2024) for Node 20. aws-local-stepfunctions 3 calls it inside every
 * Task state to race the task against its timeout; without it each Task fails with a TypeError
 * that surfaces as a state error, which a `Catch: States.ALL` then swallows quietly.
 *
 * Imported for its side effect by `step-functions-library.ts` before that module loads the library.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type WithResolvers = <T>() => Resolvers<T>;
type PromiseWithOptionalResolvers = PromiseConstructor & { withResolvers?: WithResolvers };

/** The spec's algorithm, on whichever Promise constructor it is called on. */
function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
  let resolve!: Resolvers<T>["resolve"];
  let reject!: Resolvers<T>["reject"];
  const promise = new this<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Installs `withResolvers` on `target` when it lacks one; returns whether it installed it. */
export function installPromiseWithResolvers(target: PromiseConstructor = Promise): boolean {
  const constructor = target as PromiseWithOptionalResolvers;
  if (typeof constructor.withResolvers === "function") return false;
  Object.defineProperty(constructor, "withResolvers", { value: withResolvers, writable: true, configurable: true, enumerable: false });
  return true;
}

installPromiseWithResolvers();
