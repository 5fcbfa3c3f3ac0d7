import { describe, expect, it } from "vitest";
import { unreachableEvidenceLine, whereEvidenceLives } from "../../cli/commands/unreachable-evidence.js";

describe("evidence irflow verify cannot re-hash", () => {
  it("is named by kind, location and entry, with where it lives and why that is out of reach", () => {
    expect(unreachableEvidenceLine({ seq: 4, kind: "ec2-instance-metadata", location: "i-0123456789abcdef0", status: "unreachable" })).toBe(
      "ec2-instance-metadata i-0123456789abcdef0 (entry 4): an EC2 instance in the account the run acted on; a local run's account is simulated and gone when the run ends",
    );
    expect(unreachableEvidenceLine({ seq: 17, kind: "ec2-instance-memory", location: "s3://irflow-evidence-1/inc/mem.lime?versionId=v1", status: "unreachable" })).toMatch(
      /^ec2-instance-memory s3:\/\/irflow-evidence-1\/inc\/mem\.lime\?versionId=v1 \(entry 17\): an object in the S3 bucket irflow-evidence-1 in the account the run acted on; /,
    );
    expect(unreachableEvidenceLine({ seq: 2, location: "somewhere", status: "unreachable" })).toBe("evidence somewhere (entry 2): not a file on this machine, and not in an account irflow can read from here");
  });

  it("says what kind of thing each location is", () => {
    expect(["snap-1", "vol-1", "i-1", "ami-1", "iam:access-key/AKIA1", "arn:aws:s3:::b", "s3://b/k", "x"].map(whereEvidenceLives)).toEqual([
      "an EBS snapshot",
      "an EBS volume",
      "an EC2 instance",
      "an AMI",
      "an IAM resource",
      "an AWS resource",
      "an object in the S3 bucket b",
      undefined,
    ]);
  });
});
