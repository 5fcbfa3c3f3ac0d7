/**
 * The one door to aws-local-stepfunctions. The polyfill is a static import, so ESM evaluates it
 * before this module's body, and the library is loaded by a dynamic import from that body: the
 * polyfill is in place before any of the library's code runs, whatever else imports this module.
 */
import "./promise-polyfill.js";
import type * as Library from "aws-local-stepfunctions";

const library: typeof Library = await import("aws-local-stepfunctions");

export const { StateMachine: LibraryStateMachine, ExecutionError, ExecutionAbortedError, ExecutionTimeoutError } = library;

export type LibraryStateMachine = Library.StateMachine;
export type LibraryDefinition = Library.StateMachineDefinition;
export type LibraryRun = ReturnType<Library.StateMachine["run"]>;
/** The library does not export its event type; it is what `eventLogs` yields. */
export type LibraryEvent = LibraryRun["eventLogs"] extends AsyncGenerator<infer Event> ? Event : never;
export type LibraryTaskHandler = NonNullable<NonNullable<Library.RunOptions["overrides"]>["taskResourceLocalHandlers"]>[string];
