import type { AutoScalingModel } from "./autoscaling.js";
import type { Ec2Model } from "./ec2.js";
import type { Elbv2Model } from "./elbv2.js";
import type { GuardDutyModel } from "./guardduty.js";
import type { IamModel } from "./iam.js";
import type { IdGenerator } from "./random.js";
import type { S3Model } from "./s3.js";
import type { SnsModel } from "./sns.js";
import type { SsmModel } from "./ssm.js";

/** The models of one account, for the few places where one service acts on another. */
export interface Services {
  readonly ec2: Ec2Model;
  readonly iam: IamModel;
  readonly s3: S3Model;
  readonly sns: SnsModel;
  readonly ssm: SsmModel;
  readonly guardduty: GuardDutyModel;
  readonly autoscaling: AutoScalingModel;
  readonly elbv2: Elbv2Model;
}

/** What a model shares with its account: identity, clock, ids, and its sibling services. */
export interface ModelContext {
  readonly accountId: string;
  readonly region: string;
  readonly now: () => Date;
  readonly ids: IdGenerator;
  readonly services: () => Services;
}
