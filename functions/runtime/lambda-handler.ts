import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { clientFactory } from "../contract/clients.js";
import { IrflowConfig } from "../contract/config.js";
import { isTaskError } from "../contract/errors.js";
import type { Task } from "../contract/task.js";
import { DynamoDbStepJournal } from "./dynamodb-step-journal.js";
import { executeTask, type TaskPorts } from "./execute-task.js";
import { jsonLogger } from "./json-logger.js";

interface LambdaContext {
  getRemainingTimeInMillis(): number;
  awsRequestId: string;
}

const SAFETY_MARGIN_MS = 5_000;

/** Ports for a Lambda: real clients, the wall clock, the step journal in its own table. */
export function lambdaPorts(env: NodeJS.ProcessEnv = process.env): Omit<TaskPorts, "log" | "signal"> {
  const config = IrflowConfig.parse(JSON.parse(env.IRFLOW_CONFIG ?? "{}") as unknown);
  const table = env.IRFLOW_STEPS_TABLE;
  if (!table) throw new Error("IRFLOW_STEPS_TABLE is not set");
  const aws = clientFactory({ region: config.region, maxAttempts: 3 });
  return {
    aws,
    clock: { now: () => new Date() },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    config,
    journal: new DynamoDbStepJournal(aws(DynamoDBClient), table),
  };
}

/**
 * The thin Lambda entry point of a task: ports built once per container, then per invocation a
 * logger that carries the incident and step, an AbortSignal that fires shortly before the
 * Lambda's deadline, and the shared executor. Errors keep their names for Step Functions.
 */
export function createLambdaHandler(task: Task, makePorts: () => Omit<TaskPorts, "log" | "signal"> = lambdaPorts) {
  let ports: Omit<TaskPorts, "log" | "signal"> | undefined;
  return async (event: unknown, context: LambdaContext): Promise<unknown> => {
    ports ??= makePorts();
    const envelope = (typeof event === "object" && event !== null ? event : {}) as { context?: { incidentId?: string; stepId?: string } };
    const log = jsonLogger({ task: task.contract.name, incidentId: envelope.context?.incidentId, stepId: envelope.context?.stepId, requestId: context.awsRequestId });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("Lambda deadline")), Math.max(0, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS));
    try {
      return await executeTask(task, event, { ...ports, log, signal: controller.signal });
    } catch (error) {
      log.error("failed", { error: isTaskError(error) ? error.name : "Error", message: error instanceof Error ? error.message : String(error), detail: isTaskError(error) ? error.detail : undefined });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}
