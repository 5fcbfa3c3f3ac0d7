import type { DynamoDBClient} from "@aws-sdk/client-dynamodb";
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { aws, classifyAwsError } from "../contract/aws-errors.js";
import { stepKeyString, type StepJournal, type StepKey, type StepRecord } from "./step-journal.js";

/**
 * The step journal in its own table: one item per (incident, step, item, mode). A run is
 * recorded with a conditional write, so two racing invocations of the same step agree on one
 * result.
 */
export class DynamoDbStepJournal implements StepJournal {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async find(key: StepKey, mode: StepRecord["mode"]): Promise<StepRecord | undefined> {
    const result = await aws(`GetItem ${this.table}`, () =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: this.key(key, mode), ConsistentRead: true })),
    );
    const body = result.Item?.record?.S;
    return body ? (JSON.parse(body) as StepRecord) : undefined;
  }

  async record(key: StepKey, record: StepRecord): Promise<StepRecord> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...this.key(key, record.mode), record: { S: JSON.stringify(record) }, at: { S: record.at } },
          ...(record.mode === "run" ? { ConditionExpression: "attribute_not_exists(pk)" } : {}),
        }),
      );
      return record;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const winner = await this.find(key, record.mode);
        if (winner) return winner;
      }
      throw classifyAwsError(error, `PutItem ${this.table}`);
    }
  }

  private key(key: StepKey, mode: StepRecord["mode"]) {
    return { pk: { S: `incident#${key.incidentId}` }, sk: { S: `step#${stepKeyString(key)}#${mode}` } };
  }
}
