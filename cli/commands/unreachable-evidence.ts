import type { EvidenceCheck } from "../../functions/audit/verify-chain.js";

const RESOURCES: readonly (readonly [RegExp, string])[] = [
  [/^snap-/, "an EBS snapshot"],
  [/^vol-/, "an EBS volume"],
  [/^i-/, "an EC2 instance"],
  [/^ami-/, "an AMI"],
  [/^iam:/, "an IAM resource"],
  [/^arn:/, "an AWS resource"],
];

/** Where a piece of evidence lives, in words (an S3 object, a snapshot, an instance, …); undefined when irflow cannot tell. */
export function whereEvidenceLives(location: string): string | undefined {
  const s3 = /^s3:\/\/([^/?]+)/.exec(location);
  if (s3) return `an object in the S3 bucket ${s3[1]!}`;
  return RESOURCES.find(([pattern]) => pattern.test(location))?.[1];
}

/**
 * Why `irflow verify` could not re-hash an item, for a responder: what it is, where it lives, and
 * why that is out of reach. The local store's incidents ran against a simulated account, which
 * lives only as long as its run; evidence in it cannot be read back afterwards.
 */
export function unreachableEvidenceLine(check: EvidenceCheck): string {
  const where = whereEvidenceLives(check.location);
  const what = `${check.kind ?? "evidence"} ${check.location} (entry ${check.seq})`;
  if (where === undefined) return `${what}: not a file on this machine, and not in an account irflow can read from here`;
  return `${what}: ${where} in the account the run acted on; a local run's account is simulated and gone when the run ends`;
}
