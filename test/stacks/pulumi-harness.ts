import * as pulumi from "@pulumi/pulumi";

/** A resource as the Pulumi engine would have received it: type token, logical name, resolved inputs. */
export interface MockedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly state: Record<string, unknown>;
}

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

const str = (value: unknown, fallback: string): string => (typeof value === "string" ? value : fallback);

/** Plausible outputs per resource type, so ARNs flow into policies and definitions as they would in AWS. */
function stateFor(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const named = str(inputs.name, name);
  const base = `${REGION}:${ACCOUNT}`;
  switch (type) {
    case "aws:lambda/function:Function":
      return { arn: `arn:aws:lambda:${base}:function:${named}`, name: named };
    case "aws:sfn/stateMachine:StateMachine":
      return { arn: `arn:aws:states:${base}:stateMachine:${named}` };
    case "aws:dynamodb/table:Table":
      return { arn: `arn:aws:dynamodb:${base}:table/${named}`, name: named };
    case "aws:s3/bucket:Bucket": {
      const bucket = `${str(inputs.bucketPrefix, name)}0123abcd`;
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:sns/topic:Topic":
      return { arn: `arn:aws:sns:${base}:${named}`, name: named };
    case "aws:sqs/queue:Queue":
      return { arn: `arn:aws:sqs:${base}:${named}`, url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${named}` };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${named}`, name: named };
    case "aws:iam/policy:Policy":
      return { arn: `arn:aws:iam::${ACCOUNT}:policy/${named}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: `arn:aws:logs:${base}:log-group:${named}`, name: named };
    case "aws:cloudwatch/eventRule:EventRule":
      return { arn: `arn:aws:events:${base}:rule/${named}`, name: named };
    case "aws:apigatewayv2/api:Api":
      return { executionArn: `arn:aws:execute-api:${base}:a1b2c3d4e5`, apiEndpoint: `https://a1b2c3d4e5.execute-api.${REGION}.amazonaws.com` };
    default:
      return { arn: `arn:aws:mock:${base}:${name}` };
  }
}

const INVOKES: Record<string, Record<string, unknown>> = {
  "aws:index/getPartition:getPartition": { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" },
  "aws:index/getRegion:getRegion": { region: REGION, name: REGION, id: REGION },
  "aws:index/getCallerIdentity:getCallerIdentity": { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: "AIDATEST", id: ACCOUNT },
};

/**
 * Installs Pulumi's mocks and records every resource registered. Must run before any module that
 * declares resources is imported (the stacks only declare resources when called, so importing
 * them first is fine).
 */
export function installMocks(): MockedResource[] {
  const created: MockedResource[] = [];
  void pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state = { ...args.inputs, ...stateFor(args.type, args.name, args.inputs as Record<string, unknown>) };
        created.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown>, state });
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        const result = INVOKES[args.token];
        if (!result) throw new Error(`no mock for ${args.token}`);
        return result;
      },
    },
    "irflow",
    "test",
    false,
  );
  return created;
}

/** An Output's value (under mocks every output is known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** Waits until resource registrations stop arriving (outputs resolve asynchronously, so do dependents). */
export async function settled(created: readonly MockedResource[]): Promise<void> {
  let seen = -1;
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (created.length === seen) quiet += 1;
    else {
      seen = created.length;
      quiet = 0;
    }
  }
}

export const ofType = (created: readonly MockedResource[], type: string): MockedResource[] => created.filter((resource) => resource.type === type);
