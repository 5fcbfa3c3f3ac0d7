import { DynamoDBClient, GetItemCommand, PutItemCommand, ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import * as z from "zod";
import { clientFactory } from "../../functions/contract/clients.js";
import { IrflowConfig } from "../../functions/contract/config.js";
import { implementTask } from "../../functions/contract/task.js";
import { defineTaskContract } from "../../functions/contract/task-contract.js";
import { DynamoDbStepJournal } from "../../functions/runtime/dynamodb-step-journal.js";
import { jsonLogger, redact } from "../../functions/runtime/json-logger.js";
import { createLambdaHandler, lambdaPorts } from "../../functions/runtime/lambda-handler.js";
import { MemoryStepJournal, type StepRecord } from "../../functions/runtime/step-journal.js";
import { INCIDENT_ID } from "../support/task-harness.js";

const dynamo = mockClient(DynamoDBClient);

const echo = implementTask(
  defineTaskContract({
    name: "test.echo",
    summary: "Echoes",
    risk: "read",
    csf: ["DE.AE"],
    input: z.object({ value: z.string() }),
    output: z.object({ value: z.string() }),
    iam: [],
  }),
  { run: async ({ value }, ctx) => ({ output: { value }, changes: [], summary: `saw ${value} until ${ctx.signal.aborted ? "abort" : "end"}` }) },
);

const event = (value: string) => ({ mode: "run", input: { value }, context: { incidentId: INCIDENT_ID, executionId: "arn:x", runbookId: "test-runbook", stepId: "detect/echo", task: "test.echo" } });
const lambdaContext = { getRemainingTimeInMillis: () => 30_000, awsRequestId: "req-1" };

describe("Lambda entry point", () => {
  beforeEach(() => dynamo.reset());

  it("builds its ports once and runs the task through the executor", async () => {
    let built = 0;
    const journal = new MemoryStepJournal();
    const handler = createLambdaHandler(echo, () => {
      built += 1;
      return { aws: clientFactory({ region: "us-east-1" }), clock: { now: () => new Date(0) }, sleep: () => Promise.resolve(), config: IrflowConfig.parse({ region: "us-east-1" }), journal };
    });
    await expect(handler(event("a"), lambdaContext)).resolves.toEqual({ value: "a" });
    await expect(handler({ ...event("b"), context: { ...event("b").context, stepId: "detect/echo-two" } }, lambdaContext)).resolves.toEqual({ value: "b" });
    expect(built).toBe(1);
  });

  it("rethrows named errors so Step Functions can route them", async () => {
    const handler = createLambdaHandler(echo, () => ({ aws: clientFactory({}), clock: { now: () => new Date(0) }, sleep: () => Promise.resolve(), config: IrflowConfig.parse({ region: "us-east-1" }), journal: new MemoryStepJournal() }));
    await expect(handler({ mode: "run" }, lambdaContext)).rejects.toMatchObject({ name: "InvalidInput" });
  });

  it("reads its configuration from the environment and refuses a bad one at cold start", () => {
    expect(() => lambdaPorts({ IRFLOW_CONFIG: JSON.stringify({ region: "us-east-1" }) })).toThrow(/IRFLOW_STEPS_TABLE/);
    expect(() => lambdaPorts({ IRFLOW_CONFIG: JSON.stringify({ region: "mars" }), IRFLOW_STEPS_TABLE: "t" })).toThrow(/region/);
    expect(lambdaPorts({ IRFLOW_CONFIG: JSON.stringify({ region: "eu-west-1" }), IRFLOW_STEPS_TABLE: "t" }).config.region).toBe("eu-west-1");
  });
});

describe("structured logs", () => {
  it("redact secret-looking fields at any depth, the task token included", () => {
    const lines: string[] = [];
    jsonLogger({ task: "approval.request" }, (line) => lines.push(line)).info("asked", { taskToken: "AAAA-secret", nested: { password: "p", keep: "k" }, list: [{ apiSecret: "s" }] });
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: "info", message: "asked", task: "approval.request", taskToken: "[redacted]", nested: { password: "[redacted]", keep: "k" }, list: [{ apiSecret: "[redacted]" }] });
    expect(lines[0]).not.toContain("AAAA-secret");
    expect(redact("plain")).toBe("plain");
  });
});

describe("DynamoDB step journal", () => {
  const record: StepRecord = { task: "test.echo", mode: "run", at: "2026-11-24T00:00:00.000Z", executionId: "arn:x", summary: "done", changes: [], evidence: [], output: { value: "a" } };
  const key = { incidentId: INCIDENT_ID, stepId: "contain/x", task: "test.echo", item: 2 };

  it("records a run with a conditional write keyed by incident, step and item", async () => {
    dynamo.on(PutItemCommand).resolves({});
    const journal = new DynamoDbStepJournal(new DynamoDBClient({ region: "us-east-1" }), "incidents");
    await expect(journal.record(key, record)).resolves.toBe(record);
    const input = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(input.Item?.pk).toEqual({ S: `incident#${INCIDENT_ID}` });
    expect(input.Item?.sk).toEqual({ S: `step#${INCIDENT_ID}#contain/x#test.echo#2#run` });
  });

  it("returns the winner's record when another invocation recorded first", async () => {
    const winner = { ...record, summary: "winner" };
    dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: "exists", $metadata: {} }));
    dynamo.on(GetItemCommand).resolves({ Item: { record: { S: JSON.stringify(winner) } } });
    const journal = new DynamoDbStepJournal(new DynamoDBClient({ region: "us-east-1" }), "incidents");
    await expect(journal.record(key, record)).resolves.toEqual(winner);
    expect(dynamo.commandCalls(GetItemCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });

  it("maps throttling on write to Transient", async () => {
    dynamo.on(PutItemCommand).rejects(Object.assign(new Error("slow"), { name: "ProvisionedThroughputExceededException", $metadata: { httpStatusCode: 400 } }));
    const journal = new DynamoDbStepJournal(new DynamoDBClient({ region: "us-east-1" }), "incidents");
    await expect(journal.record(key, record)).rejects.toMatchObject({ name: "Transient" });
  });
});
