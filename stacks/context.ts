import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { StageConfig } from "./config.js";
import type { FunctionFactory } from "./function-factory.js";
import type { Manifest } from "./manifest.js";

/** What every part of the stack needs: the stage, its validated config, the manifest, the account. */
export interface StackContext {
  readonly stage: string;
  /** A production stage: stateful resources are retained and protected from deletion. */
  readonly production: boolean;
  readonly config: StageConfig;
  readonly manifest: Manifest;
  /** Repository root (manifest and generated definitions are read from here). */
  readonly root: string;
  readonly functions: FunctionFactory;
  readonly partition: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;
  readonly account: pulumi.Output<string>;
  readonly tags: Readonly<Record<string, string>>;
}

/** The account, region and partition the provider deploys to. */
export function accountOf(): Pick<StackContext, "partition" | "region" | "account"> {
  return {
    partition: aws.getPartitionOutput().partition,
    region: aws.getRegionOutput().region,
    account: aws.getCallerIdentityOutput().accountId,
  };
}
