import { GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { awsErrorCode, classifyAwsError } from "../contract/aws-errors.js";
import { preconditionFailed, transient } from "../contract/errors.js";
import { type IncidentStore, type OpenOrJoinRequest, type OpenOrJoinResult } from "./incident-store.js";

type Item = Record<string, AttributeValue>;

export interface DynamoDbIncidentStoreOptions {
  /**
   * How long a claim may stay `opening` before another event may take the key over. It outlasts
   * the opener's own retries (open-incident: 60 s a try, 4 retries with backoff ≤ 30 s), so a
   * slow opener always finishes its own incident; only one that died hands the key on.
   */
  readonly openingLeaseSeconds?: number;
}

interface Claim {
  readonly incidentId: string;
  readonly status: "opening" | "open" | "closed";
  readonly openedAt: string;
  readonly executionId: string;
}

/**
 * The incident store in the incidents table (`pk`, `sk`, shared with the step journal):
 *
 * - `pk = dedupe#<key>, sk = dedupe`: the claim. incidentId, status (`opening` → `open` →
 *   `closed`), openedAt, expiresAt (epoch seconds: openedAt + window; usable as the table's TTL
 *   attribute), leaseExpiresAt, and the execution and event that opened it. Written with one
 *   conditional PutItem: it succeeds only when no claim is live, which is what makes two
 *   concurrent first events open one incident.
 * - `pk = incident#<id>, sk = incident`: the incident record. Runbook id and revision, trigger,
 *   the opening document, the raw event as JSON with its SHA-256, status `open`, the dedupe key
 *   (for whoever closes it), and an `occurrences` counter.
 * - `pk = incident#<id>, sk = occurrence#<eventId>`: one per distinct event, written with
 *   attribute_not_exists so an event delivered twice is recorded once.
 *
 * The claim is written first and stays `opening` until the record exists, so a joiner never reports
 * `duplicate` for an incident whose record was never written: it retries (Transient) instead. A
 * retry of the opening execution finds its own claim and finishes the same incident (same id,
 * same openedAt). The counter is bumped after the occurrence item is written; a crash between
 * the two undercounts by one, the occurrence items are the authoritative list.
 */
export class DynamoDbIncidentStore implements IncidentStore {
  private readonly leaseSeconds: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    options: DynamoDbIncidentStoreOptions = {},
  ) {
    this.leaseSeconds = options.openingLeaseSeconds ?? 600;
  }

  async openOrJoin(request: OpenOrJoinRequest): Promise<OpenOrJoinResult> {
    const { document } = request.incident;
    const fresh: Claim = { incidentId: document.incidentId, status: "opening", openedAt: document.openedAt, executionId: request.occurrence.executionId };
    const holder = await this.claim(request, fresh);
    if (holder === undefined) return this.open(request, fresh);
    if (holder.executionId === request.occurrence.executionId) return this.open(request, holder);
    if (holder.status === "opening") {
      throw transient(`incident ${holder.incidentId} for this key is still being opened by another execution; a retry joins it`, "opening");
    }
    return this.join(request, holder);
  }

  /**
   * Marks an incident closed and releases its key, so that the next event opens a new incident
   * (for the post-incident close; its task declares the GetItem and UpdateItem this needs).
   */
  async close(incidentId: string, at: Date): Promise<void> {
    const what = `UpdateItem ${this.table} incident#${incidentId}`;
    const item = await this.get(incidentKey(incidentId), `GetItem ${this.table} incident#${incidentId}`, "dedupeKey");
    if (item === undefined) throw preconditionFailed(`incident ${incidentId} is not in ${this.table}`, incidentId);
    await this.conditionally(what, () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: incidentKey(incidentId),
          // The first close time stays: closing again changes nothing.
          UpdateExpression: "SET #status = :closed, closedAt = if_not_exists(closedAt, :at)",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":closed": { S: "closed" }, ":at": { S: at.toISOString() } },
        }),
      ),
    );
    const key = item.dedupeKey?.S;
    if (key === undefined) return;
    // A claim that already names a newer incident is left alone (the condition fails quietly).
    await this.conditionally(`UpdateItem ${this.table} dedupe#${key}`, () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: claimKey(key),
          UpdateExpression: "SET #status = :closed",
          ConditionExpression: "incidentId = :id",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":closed": { S: "closed" }, ":id": { S: incidentId } },
        }),
      ),
    );
  }

  /** Writes the claim unless a live one exists; returns the live claim's holder when it does. */
  private async claim(request: OpenOrJoinRequest, fresh: Claim): Promise<Claim | undefined> {
    const now = epochSeconds(fresh.openedAt);
    const key = request.dedupeKey;
    const what = `PutItem ${this.table} dedupe#${key}`;
    const written = await this.conditionally(what, () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...claimKey(key),
            incidentId: { S: fresh.incidentId },
            status: { S: "opening" },
            openedAt: { S: fresh.openedAt },
            expiresAt: { N: String(now + request.windowSeconds) },
            leaseExpiresAt: { N: String(now + this.leaseSeconds) },
            executionId: { S: fresh.executionId },
            eventId: { S: request.occurrence.eventId },
          },
          // Free when there is none, its window has passed, its incident is closed (unless this is
          // the event that opened it, delivered again: that joins the closed incident), or its
          // opener died before finishing (lease passed while still opening).
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now OR (#status = :closed AND eventId <> :eventId) OR (#status = :opening AND leaseExpiresAt < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":now": { N: String(now) }, ":closed": { S: "closed" }, ":opening": { S: "opening" }, ":eventId": { S: request.occurrence.eventId } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );
    if (written.written) return undefined;
    if (written.item !== undefined) return parseClaim(written.item, key);
    // Without ALL_OLD (older DynamoDB emulators), read the claim; it may have changed since.
    const item = await this.get(claimKey(key), `GetItem ${this.table} dedupe#${key}`);
    if (item === undefined || !isLive(item, now, request.occurrence.eventId)) throw transient(`the claim on ${key} changed while being read; a retry claims it`, "ConditionalCheckFailedException");
    return parseClaim(item, key);
  }

  /** Writes the incident record and its first occurrence, then marks the claim open. Idempotent. */
  private async open(request: OpenOrJoinRequest, claim: Claim): Promise<OpenOrJoinResult> {
    const { incidentId, openedAt } = claim;
    const { occurrence } = request;
    const document = { ...request.incident.document, incidentId, openedAt, duplicate: false };
    const { event } = request.incident;
    const what = `PutItem ${this.table} incident#${incidentId}`;
    const record = await this.conditionally(what, () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...incidentKey(incidentId),
            incidentId: { S: incidentId },
            status: { S: "open" },
            runbookId: { S: document.runbook.id },
            runbookRevision: { S: document.runbook.revision },
            dedupeKey: { S: request.dedupeKey },
            openedAt: { S: openedAt },
            openedBy: { S: occurrence.executionId },
            trigger: { S: JSON.stringify(document.trigger) },
            document: { S: JSON.stringify(document) },
            ...(event.json !== undefined ? { event: { S: event.json } } : { eventOmitted: { S: `larger than the record keeps (${event.bytes} bytes)` } }),
            eventSha256: { S: event.sha256 },
            occurrences: { N: "1" },
          },
          ConditionExpression: "attribute_not_exists(pk)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );
    let occurrences = 1;
    if (!record.written) {
      // A retry of this opening wrote it already; anything else is a (48-bit) id collision.
      const existing = record.item ?? (await this.get(incidentKey(incidentId), `GetItem ${this.table} incident#${incidentId}`));
      if (existing?.openedBy?.S !== occurrence.executionId) throw preconditionFailed(`incident id ${incidentId} is already taken by another incident`, incidentId);
      occurrences = count(existing);
    }
    // The first occurrence is counted by the record's initial 1, so it is never added again.
    await this.recordOccurrence(request, incidentId);

    if (claim.status === "opening") {
      const opened = await this.conditionally(`UpdateItem ${this.table} dedupe#${request.dedupeKey}`, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: claimKey(request.dedupeKey),
            UpdateExpression: "SET #status = :open",
            ConditionExpression: "incidentId = :id AND #status IN (:opening, :open)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":id": { S: incidentId }, ":opening": { S: "opening" }, ":open": { S: "open" } },
          }),
        ),
      );
      if (!opened.written) {
        // Another event took the key over (our lease ran out): this record is not the incident.
        await this.conditionally(`UpdateItem ${this.table} incident#${incidentId}`, () =>
          this.client.send(
            new UpdateItemCommand({
              TableName: this.table,
              Key: incidentKey(incidentId),
              UpdateExpression: "SET #status = :superseded",
              ConditionExpression: "#status = :open",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: { ":superseded": { S: "superseded" }, ":open": { S: "open" } },
            }),
          ),
        );
        throw transient(`the claim on ${request.dedupeKey} was taken over before incident ${incidentId} finished opening; a retry joins the incident that holds it`, "superseded");
      }
    }
    return { incidentId, duplicate: false, openedAt, occurrences };
  }

  /** Records this event on the incident that holds the key; counts it only the first time. */
  private async join(request: OpenOrJoinRequest, holder: Claim): Promise<OpenOrJoinResult> {
    const { incidentId, openedAt } = holder;
    const what = `UpdateItem ${this.table} incident#${incidentId}`;
    let item: Item | undefined;
    if (await this.recordOccurrence(request, incidentId)) {
      const counted = await this.conditionally(what, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: incidentKey(incidentId),
            UpdateExpression: "ADD occurrences :one",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":one": { N: "1" } },
            ReturnValues: "UPDATED_NEW",
          }),
        ),
      );
      item = counted.written ? counted.result.Attributes : undefined;
    } else {
      item = await this.get(incidentKey(incidentId), `GetItem ${this.table} incident#${incidentId}`, "occurrences");
    }
    if (item === undefined) throw preconditionFailed(`the claim on ${request.dedupeKey} names incident ${incidentId}, which has no record`, incidentId);
    return { incidentId, duplicate: true, openedAt, occurrences: count(item) };
  }

  /** True when this event was not yet recorded on the incident. */
  private async recordOccurrence(request: OpenOrJoinRequest, incidentId: string): Promise<boolean> {
    const { occurrence } = request;
    const written = await this.conditionally(`PutItem ${this.table} incident#${incidentId} occurrence#${occurrence.eventId}`, () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: `incident#${incidentId}` },
            sk: { S: `occurrence#${occurrence.eventId}` },
            eventId: { S: occurrence.eventId },
            time: { S: occurrence.time },
            executionId: { S: occurrence.executionId },
            recordedAt: { S: request.incident.document.openedAt },
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    );
    return written.written;
  }

  private async get(key: Item, what: string, projection?: string): Promise<Item | undefined> {
    try {
      const result = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: true, ...(projection ? { ProjectionExpression: projection } : {}) }),
      );
      return result.Item;
    } catch (error) {
      throw classifyAwsError(error, what);
    }
  }

  /** Runs a conditional write: a failed condition is an answer (with the item, when DynamoDB returns it), anything else a named error. */
  private async conditionally<T>(what: string, call: () => Promise<T>): Promise<{ written: true; result: T } | { written: false; item: Item | undefined }> {
    try {
      return { written: true, result: await call() };
    } catch (error) {
      if (awsErrorCode(error) === "ConditionalCheckFailedException") return { written: false, item: (error as { Item?: Item }).Item };
      throw classifyAwsError(error, what);
    }
  }
}

function claimKey(dedupeKey: string): Item {
  return { pk: { S: `dedupe#${dedupeKey}` }, sk: { S: "dedupe" } };
}

function incidentKey(incidentId: string): Item {
  return { pk: { S: `incident#${incidentId}` }, sk: { S: "incident" } };
}

function epochSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

function count(item: Item): number {
  const value = Number(item.occurrences?.N ?? "1");
  return Number.isSafeInteger(value) && value > 0 ? value : 1;
}

/** The claim still holds its key: the condition of `claim`, read back. */
function isLive(item: Item, now: number, eventId: string): boolean {
  const expiresAt = Number(item.expiresAt?.N ?? "0");
  const leaseExpiresAt = Number(item.leaseExpiresAt?.N ?? "0");
  const status = item.status?.S;
  return !(expiresAt < now) && !(status === "closed" && item.eventId?.S !== eventId) && !(status === "opening" && leaseExpiresAt < now);
}

const CLAIM_STATUSES = new Set<string>(["opening", "open", "closed"]);

function parseClaim(item: Item, key: string): Claim {
  const incidentId = item.incidentId?.S;
  const status = item.status?.S;
  const openedAt = item.openedAt?.S;
  const executionId = item.executionId?.S;
  if (incidentId === undefined || status === undefined || !CLAIM_STATUSES.has(status) || openedAt === undefined || executionId === undefined) {
    throw preconditionFailed(`the claim item dedupe#${key} is malformed`, `dedupe#${key}`);
  }
  return { incidentId, status: status as Claim["status"], openedAt, executionId };
}
