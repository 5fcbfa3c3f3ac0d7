import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/sns/notify.contract.js";
import task from "../../../functions/sns/notify.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID, NOW } from "../../support/task-harness.js";

const sns = mockClient(SNSClient);
const RESPONDERS = "arn:aws:sns:us-east-1:123456789012:irflow-responders";
const OWNER = "arn:aws:sns:us-east-1:123456789012:irflow-owner";
const TOPICS = { topics: { responders: RESPONDERS, owner: OWNER } };
const INPUT = { subject: "Bucket acme-marketing-assets is public; closing it", message: "S3 evaluates the bucket as public.", severity: "high", audience: "owner" };

function published() {
  const call = sns.commandCalls(PublishCommand)[0]!.args[0].input;
  const structure = JSON.parse(call.Message!) as Record<string, string>;
  return { call, structure, chat: JSON.parse(structure.https!) as Record<string, unknown> };
}

/** Every key anywhere in a JSON value, so nothing secret-looking can hide in a nested object. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
  return [];
}

describe("sns.notify", () => {
  beforeEach(() => sns.reset());
  afterEach(() => expectCallsDeclared(contract, { SNSClient: sns }));

  it("publishes to the audience's topic with the subject, filterable attributes and a JSON message structure", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "5f1e0c2a-0000-4000-8000-000000000001" });
    const output = await harness(task, TOPICS).run(INPUT);
    expect(output).toEqual({ messageId: "5f1e0c2a-0000-4000-8000-000000000001" });
    const { call } = published();
    expect(call.TopicArn).toBe(OWNER);
    expect(call.Subject).toBe(INPUT.subject);
    expect(call.MessageStructure).toBe("json");
    expect(call.MessageAttributes).toEqual({
      incidentId: { DataType: "String", StringValue: INCIDENT_ID },
      severity: { DataType: "String", StringValue: "high" },
    });
  });

  it("gives every subscriber a readable plain-text body with the incident's context", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    await harness(task, TOPICS).run(INPUT);
    const { structure } = published();
    const text = structure.default!;
    for (const fact of [INPUT.subject, INPUT.message, INCIDENT_ID, "test-runbook", "contain/test-step", "high", NOW.toISOString()]) expect(text).toContain(fact);
    expect(structure.email).toBe(text);
  });

  it("carries an AWS Chatbot custom notification under the https key, threaded by incident", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    await harness(task, TOPICS).run(INPUT);
    const { chat } = published();
    expect(chat).toMatchObject({
      version: "1.0",
      source: "custom",
      content: { textType: "client-markdown", title: INPUT.subject, description: expect.stringContaining(INPUT.message) },
      metadata: { threadId: INCIDENT_ID },
    });
    expect((chat.content as { description: string }).description).toContain(INCIDENT_ID);
  });

  it("never publishes a task token or anything token-shaped", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    await harness(task, TOPICS).run(INPUT);
    const { call, structure, chat } = published();
    const keys = [...keysOf(structure), ...keysOf(chat), ...Object.keys(call.MessageAttributes ?? {})];
    expect(keys.filter((k) => /token/i.test(k))).toEqual([]);
    expect(call.Message).not.toMatch(/taskToken/i);
  });

  it("defaults to the responders and leaves out a severity that was not given", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    await harness(task, TOPICS).run({ subject: "Heads up", message: "Something happened." });
    const { call } = published();
    expect(call.TopicArn).toBe(RESPONDERS);
    expect(call.MessageAttributes).toEqual({ incidentId: { DataType: "String", StringValue: INCIDENT_ID } });
  });

  it("publishes once per incident and step: a retry returns the recorded message id", async () => {
    sns.on(PublishCommand).resolvesOnce({ MessageId: "m-1" }).resolves({ MessageId: "m-2" });
    const h = harness(task, TOPICS);
    const first = await h.run(INPUT);
    expect(await h.run(INPUT)).toEqual(first);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(await h.run(INPUT, { stepId: "post-incident/tell-the-owner" })).toEqual({ messageId: "m-2" });
  });

  it("fails with PreconditionFailed naming the missing topic configuration", async () => {
    await expect(harness(task, { topics: { responders: RESPONDERS } }).run({ ...INPUT, audience: "security-lead" })).rejects.toMatchObject({
      name: "PreconditionFailed",
      message: expect.stringContaining("topics.security-lead"),
    });
    expect(sns.calls()).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    sns.on(PublishCommand).rejects(awsError("ThrottledException", 400));
    await expect(harness(task, TOPICS).run(INPUT)).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a deleted topic as NotFound with its ARN", async () => {
    sns.on(PublishCommand).rejects(awsError("NotFoundException", 404, "Topic does not exist"));
    await expect(harness(task, TOPICS).run(INPUT)).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(OWNER) });
  });

  it("refuses a subject SNS would reject, and other bad input, before any AWS call", async () => {
    const h = harness(task, TOPICS);
    await expect(h.run({ ...INPUT, subject: "line\nbreak" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ...INPUT, subject: "Ünïcödé" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ...INPUT, subject: "x".repeat(100) })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ...INPUT, audience: "everyone" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ...INPUT, message: "" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(sns.calls()).toHaveLength(0);
  });
});
