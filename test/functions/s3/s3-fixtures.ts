import type { Grant } from "@aws-sdk/client-s3";

/** Shapes S3 returns, for the S3 task tests. */
export const BUCKET = "acme-marketing-assets";
export const OWNER_ID = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
export const AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
export const LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery";

export const ownerGrant: Grant = { Grantee: { Type: "CanonicalUser", ID: OWNER_ID }, Permission: "FULL_CONTROL" };
export const groupGrant = (uri: string, permission: Grant["Permission"]): Grant => ({ Grantee: { Type: "Group", URI: uri }, Permission: permission });

export function aclResponse(...grants: Grant[]) {
  return { Owner: { ID: OWNER_ID }, Grants: grants };
}

export const PUBLIC_READ_STATEMENT = { Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*` };
export const DENY_INSECURE_STATEMENT = {
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};
export const CLOUDFRONT_STATEMENT = {
  Sid: "AllowCloudFront",
  Effect: "Allow",
  Principal: { Service: "cloudfront.amazonaws.com" },
  Action: "s3:GetObject",
  Resource: `arn:aws:s3:::${BUCKET}/*`,
  Condition: { StringEquals: { "AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE" } },
};

export function policyOf(...statements: object[]): string {
  return JSON.stringify({ Version: "2012-10-17", Id: "acme-assets", Statement: statements });
}
