import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import { bucketArn, type ResourceArns } from "./iam.js";
import type { Storage } from "./storage.js";

/** The values behind `{table:…}`, `{bucket:…}`, `{topic:…}` and `{partition}`/`{region}`/`{account}`. */
export function resourceArns(ctx: StackContext, storage: Storage): pulumi.Output<ResourceArns> {
  const platform = pulumi.all([ctx.partition, ctx.region, ctx.account, storage.incidents.arn, storage.approvals.arn, storage.steps.arn, storage.auditBucket.bucket, storage.evidenceBucketName]);
  const topics = pulumi.all([storage.approvalsTopic.arn, storage.alertTopics.responders, storage.alertTopics.owner, storage.alertTopics["security-lead"]]);
  return pulumi.all([platform, topics]).apply(([[partition, region, account, incidents, approvals, steps, audit, evidence], [approvalsTopic, responders, owner, securityLead]]): ResourceArns => ({
    partition,
    region,
    account,
    tables: { incidents, approvals, steps },
    buckets: { audit: bucketArn(partition, audit), evidence: bucketArn(partition, evidence) },
    topics: { approvals: approvalsTopic, responders, owner, "security-lead": securityLead },
  }));
}
