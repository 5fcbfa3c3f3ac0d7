import { IrflowConfig } from "../../../functions/contract/config.js";
import type { SimulatedAccount } from "../simulated-account/index.js";

const AUDIENCES = ["responders", "owner", "security-lead"] as const;

/**
 * The deployment configuration for a run on a simulated account: its region, the evidence bucket
 * (`irflow-evidence-*`) and the `irflow-<audience>` topics when the scenario has them. Anything the
 * scenario lacks stays unset, so a task that needs it fails as it would in a half-deployed account.
 */
export function configFromAccount(account: SimulatedAccount, overrides: Partial<IrflowConfig> = {}): IrflowConfig {
  const state = account.snapshot();
  const buckets = Object.keys(state.s3.buckets).sort();
  const evidenceBucket = buckets.find((name) => name === `irflow-evidence-${account.accountId}`) ?? buckets.find((name) => name.startsWith("irflow-evidence"));
  const topicArns = Object.keys(state.sns.topics);
  const topics = Object.fromEntries(AUDIENCES.flatMap((audience) => topicArns.filter((arn) => arn.endsWith(`:irflow-${audience}`)).map((arn) => [audience, arn] as const)));
  return IrflowConfig.parse({ region: account.region, ...(evidenceBucket ? { evidenceBucket } : {}), topics, ...overrides });
}
