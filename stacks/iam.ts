import type { IamGrant } from "../functions/contract/task-contract.js";

export interface PolicyStatement {
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** The concrete values behind the placeholders in task contracts' resource templates. */
export interface ResourceArns {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** Table ARN by logical name (`{table:<name>}`). */
  readonly tables: Readonly<Record<string, string>>;
  /** Bucket ARN by logical name (`{bucket:<name>}`; objects are `{bucket:<name>}/*`). */
  readonly buckets: Readonly<Record<string, string>>;
  /** Topic ARN by logical name (`{topic:<name>}`). */
  readonly topics: Readonly<Record<string, string>>;
}

export class IamTemplateError extends Error {
  override readonly name = "IamTemplateError";
}

const NAMED = /\{(table|bucket|topic):([a-z-]+)\}/g;

/** One resource template, filled; an unknown placeholder is an error, never a wildcard. */
export function resolveResource(template: string, arns: ResourceArns): string {
  const filled = template
    .replaceAll("{partition}", arns.partition)
    .replaceAll("{region}", arns.region)
    .replaceAll("{account}", arns.account)
    .replace(NAMED, (_whole, kind: "table" | "bucket" | "topic", name: string) => {
      const arn = { table: arns.tables, bucket: arns.buckets, topic: arns.topics }[kind][name];
      if (arn === undefined) throw new IamTemplateError(`resource template ${template}: no ${kind} named "${name}" is deployed`);
      return arn;
    });
  if (/[{}]/.test(filled)) throw new IamTemplateError(`resource template ${template}: unknown placeholder`);
  return filled;
}

/** A task's declared grants as policy statements; a grant without resources is one AWS allows only on "*". */
export function grantStatements(grants: readonly IamGrant[], arns: ResourceArns): PolicyStatement[] {
  return grants.map((grant) => ({
    Effect: "Allow",
    Action: [...grant.actions],
    Resource: grant.resources ? [...new Set(grant.resources.map((template) => resolveResource(template, arns)))] : ["*"],
    ...(grant.conditions ? { Condition: grant.conditions } : {}),
  }));
}

/**
 * What every task Lambda needs beyond its contract: the executor's step journal (run-once per
 * incident and step; functions/runtime/dynamodb-step-journal.ts). Kept here, by name, so the
 * "exactly the declared actions" check can tell it from a contract's grants. The journal has a
 * table of its own: IAM cannot limit a PutItem to some sort keys, and a grant on the incidents
 * table would let every task overwrite any incident record (and the requester it names).
 */
export const STEP_JOURNAL_GRANT: IamGrant = { actions: ["dynamodb:GetItem", "dynamodb:PutItem"], resources: ["{table:steps}"] };

/** Writing its own log group (the group itself is created by the stack, with retention). */
export function logWriteStatement(logGroupArn: string): PolicyStatement {
  return { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${logGroupArn}:log-stream:*`] };
}

export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** A trust policy for one service principal, confused-deputy safe when the account is known. */
export function trustPolicy(service: string, account?: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(account ? { Condition: { StringEquals: { "aws:SourceAccount": account } } } : {}),
      },
    ],
  });
}

/** ARN of a bucket by name. */
export const bucketArn = (partition: string, name: string): string => `arn:${partition}:s3:::${name}`;
