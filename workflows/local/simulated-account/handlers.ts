/** What every service model offers the dispatcher: one handler per modelled command. */

/** A command's output as a handler returns it; the dispatcher adds `$metadata`. */
export type Output<T> = Omit<T, "$metadata">;

export interface CommandHandler {
  /** Changes state when it succeeds (and is not a dry run): what "applied exactly once" checks count. */
  readonly mutating: boolean;
  readonly handle: (input: unknown) => object | Promise<object>;
}

/**
 * The input arrives from a real SDK command object, built by code that the SDK's own input type
 * checked; the handler is typed with that input type.
 */
export function read<I, O extends object>(handle: (input: I) => O | Promise<O>): CommandHandler {
  return { mutating: false, handle: handle as unknown as (input: unknown) => O | Promise<O> };
}

export function write<I, O extends object>(handle: (input: I) => O | Promise<O>): CommandHandler {
  return { mutating: true, handle: handle as unknown as (input: unknown) => O | Promise<O> };
}

export type HandlerTable = Readonly<Record<string, CommandHandler>>;

