import { PublishCommand, SNSClient, type MessageAttributeValue } from "@aws-sdk/client-sns";
import { aws } from "../contract/aws-errors.js";
import { preconditionFailed } from "../contract/errors.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./notify.contract.js";

interface Notice {
  readonly subject: string;
  readonly message: string;
  readonly severity?: string | undefined;
  readonly audience: string;
}

/** What every subscriber can read: e-mail, SMS, SQS and Lambda subscriptions get this text. */
export function plainText(notice: Notice, ctx: TaskContext): string {
  return [
    notice.subject,
    "",
    notice.message,
    "",
    `Incident: ${ctx.incidentId || "(none)"}`,
    `Runbook:  ${ctx.runbookId}`,
    `Step:     ${ctx.stepId}`,
    `Severity: ${notice.severity ?? "(not given)"}`,
    `Time:     ${ctx.clock.now().toISOString()}`,
  ].join("\n");
}

/**
 * An AWS Chatbot (Amazon Q Developer in chat applications) custom notification. Threaded per
 * incident, so every notice of one incident lands in one chat thread.
 */
export function chatNotification(notice: Notice, ctx: TaskContext): string {
  return JSON.stringify({
    version: "1.0",
    source: "custom",
    content: {
      textType: "client-markdown",
      title: notice.subject,
      description: [
        notice.message,
        "",
        `*Incident* ${ctx.incidentId || "(none)"} · *Runbook* ${ctx.runbookId} · *Step* ${ctx.stepId} · *Severity* ${notice.severity ?? "(not given)"} · ${ctx.clock.now().toISOString()}`,
      ].join("\n"),
      keywords: [notice.severity, notice.audience].filter((k): k is string => k !== undefined),
    },
    metadata: {
      ...(ctx.incidentId ? { threadId: ctx.incidentId } : {}),
      summary: notice.subject,
      eventType: "irflow.notify",
    },
  });
}

/**
 * With MessageStructure "json", SNS hands each protocol its own key. Chatbot subscribes to a topic
 * over HTTPS, so it reads the "https" key; other HTTPS webhooks get the same JSON. "default"
 * (e-mail, SMS, SQS, Lambda, anything without a key of its own) is the plain text.
 */
export function publishedMessage(notice: Notice, ctx: TaskContext): string {
  const text = plainText(notice, ctx);
  return JSON.stringify({ default: text, email: text, https: chatNotification(notice, ctx) });
}

function attributes(notice: Notice, ctx: TaskContext): Record<string, MessageAttributeValue> {
  // SNS refuses an empty attribute value, so absent facts are left out rather than sent blank.
  return {
    ...(ctx.incidentId ? { incidentId: { DataType: "String", StringValue: ctx.incidentId } } : {}),
    ...(notice.severity ? { severity: { DataType: "String", StringValue: notice.severity } } : {}),
  };
}

export default implementTask(contract, {
  // The journal makes a step publish once per incident: a retried invocation returns the recorded
  // message id instead of paging people twice.
  async run(input, ctx) {
    const topicArn = ctx.config.topics[input.audience];
    if (!topicArn) throw preconditionFailed(`no SNS topic is configured for audience "${input.audience}" (config topics.${input.audience})`, `topics.${input.audience}`);
    const result = await aws(`Publish ${topicArn}`, () =>
      ctx.aws(SNSClient).send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: input.subject,
          MessageStructure: "json",
          Message: publishedMessage(input, ctx),
          MessageAttributes: attributes(input, ctx),
        }),
      ),
    );
    if (!result.MessageId) throw preconditionFailed(`Publish ${topicArn} returned no message id`, topicArn);
    return {
      output: { messageId: result.MessageId },
      changes: [],
      summary: `notified ${input.audience} on ${topicArn.slice(topicArn.lastIndexOf(":") + 1)}: ${input.subject}`,
    };
  },
});
