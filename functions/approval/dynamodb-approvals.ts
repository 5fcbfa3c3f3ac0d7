import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { aws, classifyAwsError } from "../contract/aws-errors.js";
import type { Vote } from "./approval.js";
import { ApprovalView } from "./approval.js";

type Item = Record<string, AttributeValue>;

/** All approvals share one partition: the sweep reads the pending ones with a Query. Approvals come at human pace. */
const PARTITION = "approvals";
/** Kept a year past the deadline (TTL); the audit log keeps every answer for good. */
const RETENTION_SECONDS = 365 * 24 * 3600;
/** Every attribute but the token: what reads project. */
const PUBLIC = "#record, #status, votes, decidedAt, rejection, remindedAt";
const NAMES = { "#record": "record", "#status": "status" };

export interface ApprovalVoteWrite {
  readonly votes: readonly Vote[];
  readonly expectedVotes: number;
  readonly decision?: { readonly status: "approved" | "rejected"; readonly at: string; readonly rejection?: Vote };
}

const key = (approvalId: string): Item => ({ pk: { S: PARTITION }, sk: { S: `approval#${approvalId}` } });

/**
 * Approvals in the approvals table. Every change is a conditional write: a vote lands only while
 * the approval is pending, before its deadline, and with the number of votes the caller saw, so of
 * two racing answers exactly one counts (the other gets ConditionalCheckFailed and looks again).
 */
export class DynamoDbApprovals {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** Stores a pending approval; false when one with this id exists (a retried request). */
  async create(approval: ApprovalView, taskToken: string): Promise<boolean> {
    const deadlineMs = Date.parse(approval.deadline);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...key(approval.id),
            record: { S: JSON.stringify({ ...approval, status: "pending", votes: [] }) },
            status: { S: "pending" },
            incidentId: { S: approval.incidentId },
            votes: { S: "[]" },
            voteCount: { N: "0" },
            deadlineMs: { N: String(deadlineMs) },
            taskToken: { S: taskToken },
            expiresAt: { N: String(Math.floor(deadlineMs / 1000) + RETENTION_SECONDS) },
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw classifyAwsError(error, `PutItem ${this.table}`);
    }
  }

  async get(approvalId: string): Promise<ApprovalView | undefined> {
    const result = await aws(`GetItem ${this.table}`, () =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: key(approvalId), ConsistentRead: true, ProjectionExpression: PUBLIC, ExpressionAttributeNames: NAMES })),
    );
    return result.Item ? toView(result.Item) : undefined;
  }

  /** Pending approvals, oldest first; of one incident if given. Never the token. */
  async pending(filter: { readonly incidentId?: string } = {}): Promise<ApprovalView[]> {
    const views: ApprovalView[] = [];
    let start: Item | undefined;
    do {
      const page = await aws(`Query ${this.table}`, () =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: "pk = :pk",
            FilterExpression: filter.incidentId === undefined ? "#status = :pending" : "#status = :pending AND incidentId = :incident",
            ProjectionExpression: PUBLIC,
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ":pk": { S: PARTITION }, ":pending": { S: "pending" }, ...(filter.incidentId === undefined ? {} : { ":incident": { S: filter.incidentId } }) },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const view = toView(item);
        if (view) views.push(view);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return views.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }

  /**
   * Lands a vote (and the decision, when it decides). Returns the task token when this write
   * decided the approval, `undefined` when it landed without deciding, `false` when it lost.
   */
  async vote(approvalId: string, write: ApprovalVoteWrite, now: Date): Promise<{ readonly landed: true; readonly taskToken?: string } | { readonly landed: false }> {
    const { decision } = write;
    const sets = ["votes = :votes", "voteCount = :count", ...(decision ? ["#status = :decided", "decidedAt = :at", ...(decision.rejection ? ["rejection = :rejection"] : [])] : [])];
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(approvalId),
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: "#status = :pending AND voteCount = :seen AND deadlineMs > :now",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":votes": { S: JSON.stringify(write.votes) },
            ":count": { N: String(write.votes.length) },
            ":pending": { S: "pending" },
            ":seen": { N: String(write.expectedVotes) },
            ":now": { N: String(now.getTime()) },
            ...(decision ? { ":decided": { S: decision.status }, ":at": { S: decision.at } } : {}),
            ...(decision?.rejection ? { ":rejection": { S: JSON.stringify(decision.rejection) } } : {}),
          },
          ReturnValues: decision ? "ALL_NEW" : "NONE",
        }),
      );
      const token = result.Attributes?.taskToken?.S;
      return token === undefined ? { landed: true } : { landed: true, taskToken: token };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { landed: false };
      throw classifyAwsError(error, `UpdateItem ${this.table}`);
    }
  }

  /** Marks a pending approval reminded, once. */
  async markReminded(approvalId: string, at: Date): Promise<boolean> {
    return this.conditionally(approvalId, "SET remindedAt = :at", "#status = :pending AND attribute_not_exists(remindedAt)", { ":at": { S: at.toISOString() }, ":pending": { S: "pending" } });
  }

  /** Marks it expired: a pending one, or (`force`) a decision the workflow could no longer take (it had timed out). */
  async markExpired(approvalId: string, at: Date, force = false): Promise<boolean> {
    return this.conditionally(approvalId, "SET #status = :expired, decidedAt = :at", force ? "#status <> :expired" : "#status = :pending", {
      ":at": { S: at.toISOString() },
      ":expired": { S: "expired" },
      ...(force ? {} : { ":pending": { S: "pending" } }),
    });
  }

  private async conditionally(approvalId: string, update: string, condition: string, values: Item): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({ TableName: this.table, Key: key(approvalId), UpdateExpression: update, ConditionExpression: condition, ExpressionAttributeNames: { "#status": "status" }, ExpressionAttributeValues: values }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw classifyAwsError(error, `UpdateItem ${this.table}`);
    }
  }
}

/** An item as the approval it is; an item that does not parse is treated as absent (and logged by the caller's refusal). */
function toView(item: Item): ApprovalView | undefined {
  const record = item.record?.S;
  if (record === undefined) return undefined;
  const base = JSON.parse(record) as unknown;
  const votes = JSON.parse(item.votes?.S ?? "[]") as unknown;
  const rejection = item.rejection?.S ? (JSON.parse(item.rejection.S) as unknown) : undefined;
  const parsed = ApprovalView.safeParse({
    ...(typeof base === "object" && base !== null ? base : {}),
    status: item.status?.S,
    votes,
    ...(item.decidedAt?.S ? { decidedAt: item.decidedAt.S } : {}),
    ...(rejection ? { rejection } : {}),
    ...(item.remindedAt?.S ? { remindedAt: item.remindedAt.S } : {}),
  });
  return parsed.success ? parsed.data : undefined;
}
