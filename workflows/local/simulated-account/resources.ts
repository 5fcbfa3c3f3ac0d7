import * as z from "zod";
import { AutoScalingResources } from "./autoscaling.js";
import { Ec2Resources } from "./ec2-resources.js";
import { Elbv2Resources } from "./elbv2.js";
import { GuardDutyResources } from "./guardduty.js";
import { IamResources } from "./iam.js";
import { S3Resources } from "./s3.js";
import { S3ControlResources } from "./s3-control.js";
import { SnsResources } from "./sns.js";
import { SsmResources } from "./ssm.js";

/** Everything a simulated account starts with, one section per service; every section is optional. */
export const AccountResources = z.strictObject({
  ec2: Ec2Resources.optional(),
  iam: IamResources.optional(),
  s3: S3Resources.optional(),
  /** The account-level S3 settings (Block Public Access). */
  s3control: S3ControlResources.optional(),
  sns: SnsResources.optional(),
  ssm: SsmResources.optional(),
  guardduty: GuardDutyResources.optional(),
  autoscaling: AutoScalingResources.optional(),
  elbv2: Elbv2Resources.optional(),
});
export type AccountResources = z.output<typeof AccountResources>;
export type AccountResourcesInput = z.input<typeof AccountResources>;
