import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import { deployedName } from "./names.js";

/**
 * Retries before an event goes to the dead-letter queue: EventBridge backs off exponentially, so
 * twenty attempts over at most a day ride out a throttled or briefly failing target.
 */
export const RULE_RETRY_POLICY = { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 20 } as const;

export interface RuleSpec {
  readonly slug: string;
  readonly description: string;
  readonly eventPattern?: pulumi.Input<Record<string, unknown>>;
  readonly scheduleExpression?: string;
  readonly targetArn: pulumi.Input<string>;
  /** The role EventBridge assumes to call the target (Step Functions); Lambda targets use a permission instead. */
  readonly roleArn?: pulumi.Input<string>;
}

export interface Rules {
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly rules: aws.cloudwatch.EventRule[];
  add(spec: RuleSpec): aws.cloudwatch.EventRule;
  /** Lets the rules deliver failed events to the queue; call once, after the last `add`. */
  seal(): void;
}

/** Every EventBridge rule irflow creates: one target each, retried, and dead-lettered to one encrypted queue. */
export function createRules(ctx: StackContext): Rules {
  const deadLetterQueue = new aws.sqs.Queue("events-dlq", {
    name: deployedName(ctx.stage, "events-dlq", 80),
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: 1_209_600,
    tags: ctx.tags,
  });
  const rules: aws.cloudwatch.EventRule[] = [];
  return {
    deadLetterQueue,
    rules,
    add(spec) {
      const rule = new aws.cloudwatch.EventRule(`${spec.slug}-rule`, {
        name: deployedName(ctx.stage, spec.slug),
        description: spec.description.slice(0, 512),
        ...(spec.eventPattern ? { eventPattern: pulumi.output(spec.eventPattern).apply((pattern) => JSON.stringify(pattern)) } : {}),
        ...(spec.scheduleExpression ? { scheduleExpression: spec.scheduleExpression } : {}),
        tags: ctx.tags,
      });
      new aws.cloudwatch.EventTarget(`${spec.slug}-target`, {
        rule: rule.name,
        arn: spec.targetArn,
        ...(spec.roleArn ? { roleArn: spec.roleArn } : {}),
        retryPolicy: RULE_RETRY_POLICY,
        deadLetterConfig: { arn: deadLetterQueue.arn },
      });
      rules.push(rule);
      return rule;
    },
    seal() {
      new aws.sqs.QueuePolicy("events-dlq-policy", {
        queueUrl: deadLetterQueue.url,
        policy: pulumi.all([deadLetterQueue.arn, pulumi.all(rules.map((rule) => rule.arn))]).apply(([queue, ruleArns]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "IrflowRulesDeadLetter",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sqs:SendMessage",
                Resource: queue,
                Condition: { ArnEquals: { "aws:SourceArn": ruleArns } },
              },
            ],
          }),
        ),
      });
    },
  };
}

/** Lets one rule invoke one function. */
export function allowRuleToInvoke(slug: string, functionName: pulumi.Input<string>, rule: aws.cloudwatch.EventRule): aws.lambda.Permission {
  return new aws.lambda.Permission(`${slug}-invoke`, { action: "lambda:InvokeFunction", function: functionName, principal: "events.amazonaws.com", sourceArn: rule.arn });
}
