import { join } from "node:path";
import { CONFIG_FILE, loadStageConfig } from "./config.js";
import type { FunctionFactory } from "./function-factory.js";
import { deployIrflow, type IrflowOutputs } from "./irflow.js";
import { loadManifest } from "./manifest.js";

/** Stages whose data is kept on teardown and whose removal SST refuses (sst.config.ts uses this list). */
export const PRODUCTION_STAGES: readonly string[] = ["prod", "production"];

export interface CheckoutDeployment {
  readonly stage: string;
  readonly functions: FunctionFactory;
  /** The repository root; SST runs the config from it. */
  readonly root?: string;
}

/** What `sst.config.ts` calls: the manifest and the stage's config from the checkout, then the whole stage. */
export function deployFromCheckout({ stage, functions, root = process.cwd() }: CheckoutDeployment): IrflowOutputs {
  const manifest = loadManifest(root);
  const config = loadStageConfig(join(root, CONFIG_FILE), stage, manifest);
  return deployIrflow({ stage, production: PRODUCTION_STAGES.includes(stage), config, manifest, root, functions });
}
