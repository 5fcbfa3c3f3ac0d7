/** Amazon States Language, JSONPath flavour: only what the compiler emits. */
export type AslValue = string | number | boolean | null | AslValue[] | { [key: string]: AslValue };
export type AslObject = { [key: string]: AslValue };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

interface StateBase {
  Comment: string;
  Next?: string;
  End?: true;
}

export interface TaskState extends StateBase {
  Type: "Task";
  Resource: string;
  Parameters: AslObject;
  ResultSelector?: AslObject;
  ResultPath?: string | null;
  OutputPath?: string;
  TimeoutSeconds: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface MapState extends StateBase {
  Type: "Map";
  ItemsPath: string;
  ItemSelector: AslObject;
  ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }; StartAt: string; States: Record<string, State> };
  MaxConcurrency: number;
  ResultPath?: string | null;
  Catch?: Catcher[];
}

export interface ChoiceState {
  Type: "Choice";
  Comment: string;
  Choices: (AslObject & { Next: string })[];
  Default: string;
}

export interface PassState extends StateBase {
  Type: "Pass";
  Parameters?: AslObject;
  Result?: AslValue;
  ResultPath?: string | null;
}

export interface SucceedState {
  Type: "Succeed";
  Comment: string;
}

export interface FailState {
  Type: "Fail";
  Comment: string;
  Error?: string;
  Cause?: string;
  ErrorPath?: string;
  CausePath?: string;
}

export type State = TaskState | MapState | ChoiceState | PassState | SucceedState | FailState;

export interface StateMachine {
  Comment: string;
  QueryLanguage: "JSONPath";
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

export const RESOURCES = {
  lambdaInvoke: "arn:aws:states:::lambda:invoke",
  lambdaInvokeCallback: "arn:aws:states:::lambda:invoke.waitForTaskToken",
  startExecutionSync: "arn:aws:states:::states:startExecution.sync:2",
} as const;

/** Placeholders that the stacks (real ARNs) and the local runner (local handlers) both resolve. */
export const taskPlaceholder = (task: string): string => `\${Task:${task}}`;
export const machinePlaceholder = (runbookId: string, machine: string): string => `\${Machine:${runbookId}/${machine}}`;
export const PLACEHOLDER = /\$\{(Task|Machine):([^}]+)\}/g;
