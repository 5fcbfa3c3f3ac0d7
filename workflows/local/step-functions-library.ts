/**
 * The one door to aws-local-stepfunctions. The polyfill is a static import, so ESM evaluates it
 * before this module's body, and the library is loaded from that body: the polyfill is in place
 * before any of the library's code runs, whatever else imports this module.
 *
 * The library evaluates every path with jsonpath-plus, which throws and catches an Error to return
 * each scalar. Its CommonJS build reads `JSONPath` from jsonpath-plus's exports object at each call
 * (its ES build binds it at import), so that build is loaded, after the export is replaced by the
 * shortcut that answers plain paths directly with the same values. The export is the process's
 * own, so every CommonJS user of jsonpath-plus here (asl-validator too) gets the same answers faster.
 */
import "./promise-polyfill.js";
import { createRequire } from "node:module";
import type * as Library from "aws-local-stepfunctions";
import { jsonPathShortcut, type JsonPathFunction } from "../json-path-shortcut.js";

const requireHere = createRequire(import.meta.url);
/** Resolves as the library does, so the exports object replaced is the one it reads. */
const requireAsLibrary = createRequire(requireHere.resolve("aws-local-stepfunctions"));
const jsonPath = requireAsLibrary("jsonpath-plus") as { JSONPath: JsonPathFunction };
jsonPath.JSONPath = jsonPathShortcut(jsonPath.JSONPath);

const library = requireHere("aws-local-stepfunctions") as typeof Library;

export const { StateMachine: LibraryStateMachine, ExecutionError, ExecutionAbortedError, ExecutionTimeoutError } = library;

export type LibraryStateMachine = Library.StateMachine;
export type LibraryDefinition = Library.StateMachineDefinition;
export type LibraryRun = ReturnType<Library.StateMachine["run"]>;
/** The library does not export its event type; it is what `eventLogs` yields. */
export type LibraryEvent = LibraryRun["eventLogs"] extends AsyncGenerator<infer Event> ? Event : never;
export type LibraryTaskHandler = NonNullable<NonNullable<Library.RunOptions["overrides"]>["taskResourceLocalHandlers"]>[string];
