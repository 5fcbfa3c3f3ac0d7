import type { PublishCommandInput, PublishCommandOutput } from "@aws-sdk/client-sns";
import * as z from "zod";
import { SnsTopicArn } from "../../../functions/contract/aws-ids.js";
import { ResourceError, serviceError, SimulationError } from "./errors.js";
import { write, type HandlerTable, type Output } from "./handlers.js";
import type { ModelContext } from "./services.js";

/** SNS: topics, and every message published to them, kept for assertions. */

export const SnsResources = z.strictObject({
  /** Topic ARNs, or bare names (the ARN is built in the account's region). */
  topics: z.array(z.union([SnsTopicArn, z.string().regex(/^[\w-]{1,256}$/)])).default([]),
});
export type SnsResources = z.output<typeof SnsResources>;

export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string | undefined;
  readonly message: string;
  readonly messageStructure?: string | undefined;
  readonly attributes: Readonly<Record<string, string>>;
  readonly publishedAt: string;
}

const snsError = (name: string, message: string) => serviceError("sns", name, message);
const MAX_MESSAGE_BYTES = 256 * 1024;

export class SnsModel {
  readonly topics = new Map<string, PublishedMessage[]>();
  readonly handlers: HandlerTable;

  constructor(private readonly ctx: ModelContext) {
    this.handlers = {
      Publish: write((input: PublishCommandInput): Output<PublishCommandOutput> => this.publish(input)),
    };
  }

  seed(resources: SnsResources, path: readonly (string | number)[]): void {
    resources.topics.forEach((topic, i) => {
      const arn = topic.startsWith("arn:") ? topic : `arn:aws:sns:${this.ctx.region}:${this.ctx.accountId}:${topic}`;
      const [, , , region, account] = arn.split(":");
      if (region !== this.ctx.region || account !== this.ctx.accountId) throw new ResourceError([...path, "topics", i], `${arn} is not in account ${this.ctx.accountId}, ${this.ctx.region}`);
      if (this.topics.has(arn)) throw new ResourceError([...path, "topics", i], `${arn} is declared twice`);
      this.topics.set(arn, []);
    });
  }

  /** Every message published, in order; optionally only one topic's. */
  messages(topicArn?: string): PublishedMessage[] {
    return [...this.topics.entries()].filter(([arn]) => topicArn === undefined || arn === topicArn).flatMap(([, list]) => list);
  }

  private publish(input: PublishCommandInput): Output<PublishCommandOutput> {
    if (input.TargetArn !== undefined || input.PhoneNumber !== undefined) throw new SimulationError("simulated SNS models Publish to a TopicArn only");
    const topicArn = input.TopicArn ?? "";
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(topicArn)) throw snsError("InvalidParameterException", "Invalid parameter: TopicArn");
    const list = this.topics.get(topicArn);
    if (!list) throw snsError("NotFoundException", "Topic does not exist");
    const message = input.Message;
    if (message === undefined || message === "") throw snsError("InvalidParameterException", "Invalid parameter: Empty message");
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) throw snsError("InvalidParameterException", "Invalid parameter: Message too long");
    const subject = input.Subject;
    if (subject !== undefined && (subject.length === 0 || subject.length >= 100 || !/^[!-~][ -~]*$/.test(subject))) {
      throw snsError("InvalidParameterException", "Invalid parameter: Subject");
    }
    if (input.MessageStructure !== undefined) {
      if (input.MessageStructure !== "json") throw snsError("InvalidParameterException", "Invalid parameter: MessageStructure");
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw snsError("InvalidParameterException", "Invalid parameter: Message Structure - JSON message body failed to parse");
      }
      const body = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
      if (!body || typeof body.default !== "string") throw snsError("InvalidParameterException", "Invalid parameter: Message Structure - No default entry in JSON message body");
      if (Object.values(body).some((v) => typeof v !== "string")) throw snsError("InvalidParameterException", "Invalid parameter: Message Structure - JSON message body values must be strings");
    }
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
      if (!["String", "Number", "Binary", "String.Array"].some((t) => value.DataType === t || value.DataType?.startsWith(`${t}.`))) {
        throw snsError("InvalidParameterValueException", `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
      }
      if (value.DataType !== "Binary" && !value.StringValue) throw snsError("InvalidParameterValueException", `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${value.DataType}'.`);
      attributes[name] = value.StringValue ?? `(binary ${value.BinaryValue?.byteLength ?? 0} bytes)`;
    }
    const messageId = this.ctx.ids.uuid();
    list.push({ messageId, topicArn, ...(subject !== undefined ? { subject } : {}), message, ...(input.MessageStructure ? { messageStructure: input.MessageStructure } : {}), attributes, publishedAt: this.ctx.now().toISOString() });
    return { MessageId: messageId };
  }

  snapshot() {
    return { topics: Object.fromEntries([...this.topics.entries()].map(([arn, messages]) => [arn, { messages: messages.map((m) => ({ ...m })) }])) };
  }
}
