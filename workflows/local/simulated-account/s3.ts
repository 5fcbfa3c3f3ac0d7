import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import type {
  DeleteBucketPolicyCommandInput,
  DeletePublicAccessBlockCommandInput,
  GetBucketAclCommandInput,
  GetBucketAclCommandOutput,
  GetBucketOwnershipControlsCommandInput,
  GetBucketOwnershipControlsCommandOutput,
  GetBucketPolicyCommandInput,
  GetBucketPolicyCommandOutput,
  GetBucketPolicyStatusCommandInput,
  GetBucketPolicyStatusCommandOutput,
  GetBucketTaggingCommandInput,
  GetBucketTaggingCommandOutput,
  GetObjectCommandInput,
  GetPublicAccessBlockCommandInput,
  GetPublicAccessBlockCommandOutput,
  Grant,
  HeadObjectCommandInput,
  HeadObjectCommandOutput,
  PutBucketAclCommandInput,
  PutBucketPolicyCommandInput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
  PutPublicAccessBlockCommandInput,
} from "@aws-sdk/client-s3";
import * as z from "zod";
import { BucketName, S3CanonicalUserId } from "../../../functions/contract/aws-ids.js";
import { ResourceError, serviceError, SimulationError } from "./errors.js";
import { read, write, type HandlerTable, type Output } from "./handlers.js";
import type { TagMap } from "./plain.js";
import type { ModelContext } from "./services.js";

/** S3: buckets with ACL, policy, public-access block, ownership controls and tags; objects with checksums. */

const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const PERMISSIONS = ["FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"] as const;

const GrantSeed = z.strictObject({
  granteeType: z.enum(["CanonicalUser", "Group", "AmazonCustomerByEmail"]),
  /** Canonical user id, group URI (or AllUsers / AuthenticatedUsers / LogDelivery), or e-mail. */
  grantee: z.string().min(1),
  permission: z.enum(PERMISSIONS),
});

const PublicAccessBlockSeed = z.strictObject({
  blockPublicAcls: z.boolean().default(false),
  ignorePublicAcls: z.boolean().default(false),
  blockPublicPolicy: z.boolean().default(false),
  restrictPublicBuckets: z.boolean().default(false),
});

export const S3Resources = z.strictObject({
  /** The account's canonical user id; derived from the account id when absent. */
  canonicalUserId: S3CanonicalUserId.optional(),
  buckets: z
    .array(
      z.strictObject({
        name: BucketName,
        region: z.string().regex(/^[a-z]{2}(?:-gov)?-[a-z]+-\d$/).optional(),
        /** Grants besides the owner's FULL_CONTROL, which is always there unless `ownerGrant: false`. */
        grants: z.array(GrantSeed).default([]),
        ownerGrant: z.boolean().default(true),
        policy: z.union([z.string().min(2), z.record(z.string(), z.unknown())]).optional(),
        /** Overrides S3's own judgement of the policy (GetBucketPolicyStatus) until the policy changes. */
        policyIsPublic: z.boolean().optional(),
        publicAccessBlock: PublicAccessBlockSeed.optional(),
        objectOwnership: z.enum(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]).optional(),
        /** Absent: the bucket has no tag set (GetBucketTagging answers NoSuchTagSet). */
        tags: z.record(z.string().min(1), z.string()).optional(),
        versioning: z.boolean().default(false),
        objects: z.array(z.strictObject({ key: z.string().min(1).max(1024), body: z.string(), contentType: z.string().default("binary/octet-stream") })).default([]),
      }),
    )
    .default([]),
});
export type S3Resources = z.output<typeof S3Resources>;

interface GrantState {
  granteeType: "CanonicalUser" | "Group" | "AmazonCustomerByEmail";
  grantee: string;
  permission: (typeof PERMISSIONS)[number];
}

interface PublicAccessBlockState {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}

export interface ObjectVersion {
  versionId: string;
  body: Uint8Array;
  contentType: string;
  lastModified: Date;
  etag: string;
  checksums: { sha256?: string; crc32?: string };
}

interface BucketState {
  name: string;
  region: string;
  creationDate: Date;
  grants: GrantState[];
  policy?: string | undefined;
  policyIsPublic?: boolean | undefined;
  publicAccessBlock?: PublicAccessBlockState | undefined;
  objectOwnership?: string | undefined;
  tags?: TagMap | undefined;
  versioning: boolean;
  objects: Map<string, ObjectVersion[]>;
}

const s3Error = (name: string, message: string, status?: number) => serviceError("s3", name, message, status);
const GROUP_ALIASES: Readonly<Record<string, string>> = { AllUsers: ALL_USERS, AuthenticatedUsers: AUTHENTICATED_USERS, LogDelivery: LOG_DELIVERY };
const isPublicGrant = (g: GrantState) => g.granteeType === "Group" && (g.grantee === ALL_USERS || g.grantee === AUTHENTICATED_USERS);

/**
 * S3's judgement of "public" for a policy: an Allow to everyone ("*" or {"AWS": "*"}) that no
 * condition pins to fixed values of a key naming the caller (source IP outside 0.0.0.0/0, VPC,
 * VPC endpoint, organisation, account, ARN).
 */
export function policyJudgedPublic(policy: string): boolean {
  let document: unknown;
  try {
    document = JSON.parse(policy);
  } catch {
    return false;
  }
  const statements = (document as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : [statements];
  const restricting = ["aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:principalorgid", "aws:principalaccount", "aws:sourceaccount", "aws:sourcearn", "aws:sourceowner", "aws:principalarn", "aws:userid", "s3:dataaccesspointarn", "s3:dataaccesspointaccount"];
  const pinning = ["stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"];
  return list.some((raw) => {
    if (typeof raw !== "object" || raw === null) return false;
    const s = raw as Record<string, unknown>;
    if (s.Effect !== "Allow") return false;
    const principal = s.Principal;
    const aws = typeof principal === "object" && principal !== null ? (principal as Record<string, unknown>).AWS : undefined;
    const everyone = principal === "*" || aws === "*" || (Array.isArray(aws) && aws.includes("*")) || s.NotPrincipal !== undefined;
    if (!everyone) return false;
    const condition = s.Condition;
    if (typeof condition !== "object" || condition === null) return true;
    const pinned = Object.entries(condition as Record<string, unknown>).some(([operator, clauses]) => {
      if (!pinning.includes(operator.toLowerCase().replace(/^foranyvalue:/, "")) || typeof clauses !== "object" || clauses === null) return false;
      return Object.entries(clauses as Record<string, unknown>).some(([key, value]) => {
        const values = Array.isArray(value) ? value : [value];
        return restricting.includes(key.toLowerCase()) && values.length > 0 && values.every((v) => typeof v === "string" && v !== "" && !v.includes("*") && v !== "0.0.0.0/0" && v !== "::/0");
      });
    });
    return !pinned;
  });
}

async function bytesOf(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array();
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body.slice();
  if (typeof body === "object" && Symbol.asyncIterator in body) {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
    return new Uint8Array(Buffer.concat(chunks));
  }
  throw new SimulationError(`simulated S3 cannot read a PutObject body of type ${Object.prototype.toString.call(body)}`);
}

/** A GetObject body as the SDK's Node stream: iterable, with the transform helpers. */
function bodyStream(bytes: Uint8Array): Readable {
  const stream = Readable.from([Buffer.from(bytes)]);
  return Object.assign(stream, {
    transformToByteArray: () => Promise.resolve(bytes.slice()),
    transformToString: (encoding?: BufferEncoding) => Promise.resolve(Buffer.from(bytes).toString(encoding ?? "utf8")),
  });
}

export const sha256Base64 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("base64");
export const crc32Base64 = (bytes: Uint8Array) => {
  const value = crc32(bytes);
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString("base64");
};

export class S3Model {
  readonly buckets = new Map<string, BucketState>();
  canonicalUserId: string;
  readonly handlers: HandlerTable;

  constructor(private readonly ctx: ModelContext) {
    this.canonicalUserId = createHash("sha256").update(`canonical:${ctx.accountId}`).digest("hex");
    this.handlers = this.buildHandlers();
  }

  seed(resources: S3Resources, path: readonly (string | number)[]): void {
    if (resources.canonicalUserId) this.canonicalUserId = resources.canonicalUserId;
    resources.buckets.forEach((b, i) => {
      if (this.buckets.has(b.name)) throw new ResourceError([...path, "buckets", i, "name"], `${b.name} is declared twice`);
      const grants = b.grants.map((g, j): GrantState => {
        const grantee = g.granteeType === "Group" ? (GROUP_ALIASES[g.grantee] ?? g.grantee) : g.grantee;
        if (g.granteeType === "Group" && ![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].includes(grantee)) throw new ResourceError([...path, "buckets", i, "grants", j, "grantee"], `${g.grantee} is not an S3 group`);
        return { granteeType: g.granteeType, grantee, permission: g.permission };
      });
      const policy = b.policy === undefined ? undefined : typeof b.policy === "string" ? b.policy : JSON.stringify(b.policy);
      if (policy !== undefined) {
        try {
          JSON.parse(policy);
        } catch {
          throw new ResourceError([...path, "buckets", i, "policy"], "is not JSON");
        }
      }
      const bucket: BucketState = {
        name: b.name,
        region: b.region ?? this.ctx.region,
        creationDate: new Date(this.ctx.now().getTime() - 400 * 86_400_000),
        grants: [...(b.ownerGrant ? [{ granteeType: "CanonicalUser" as const, grantee: this.canonicalUserId, permission: "FULL_CONTROL" as const }] : []), ...grants],
        policy,
        policyIsPublic: b.policyIsPublic,
        publicAccessBlock: b.publicAccessBlock,
        objectOwnership: b.objectOwnership,
        tags: b.tags ? { ...b.tags } : undefined,
        versioning: b.versioning,
        objects: new Map(),
      };
      for (const o of b.objects) this.store(bucket, o.key, new TextEncoder().encode(o.body), o.contentType, {});
      this.buckets.set(b.name, bucket);
    });
  }

  bucket(name: string | undefined): BucketState {
    const bucket = name === undefined ? undefined : this.buckets.get(name);
    if (!bucket) throw s3Error("NoSuchBucket", "The specified bucket does not exist");
    return bucket;
  }

  /** Writes an object version, as PutObject (or an upload through a presigned URL) does. */
  store(bucket: BucketState, key: string, body: Uint8Array, contentType: string, checksums: ObjectVersion["checksums"]): ObjectVersion {
    const version: ObjectVersion = {
      versionId: bucket.versioning ? this.ctx.ids.hex(32) : "null",
      body,
      contentType,
      lastModified: this.ctx.now(),
      etag: `"${createHash("md5").update(body).digest("hex")}"`,
      checksums,
    };
    const versions = bucket.versioning ? [...(bucket.objects.get(key) ?? []), version] : [version];
    bucket.objects.set(key, versions);
    return version;
  }

  private object(bucket: BucketState, key: string | undefined, versionId: string | undefined, head: boolean): ObjectVersion {
    const versions = bucket.objects.get(key ?? "") ?? [];
    const found = versionId === undefined ? versions.at(-1) : versions.find((v) => v.versionId === versionId);
    if (!found) throw head ? s3Error("NotFound", "Not Found") : versionId !== undefined ? s3Error("NoSuchVersion", "The specified version does not exist.", 404) : s3Error("NoSuchKey", "The specified key does not exist.");
    return found;
  }

  private checkAcl(bucket: BucketState, grants: GrantState[]): void {
    const ownerOnly = grants.every((g) => g.granteeType === "CanonicalUser" && g.grantee === this.canonicalUserId && g.permission === "FULL_CONTROL");
    if (bucket.objectOwnership === "BucketOwnerEnforced" && !ownerOnly) throw s3Error("AccessControlListNotSupported", "The bucket does not allow ACLs");
    if (bucket.publicAccessBlock?.blockPublicAcls && grants.some(isPublicGrant)) throw s3Error("AccessDenied", "Access Denied");
  }

  private grantsOf(input: PutBucketAclCommandInput): GrantState[] {
    const owner = { granteeType: "CanonicalUser" as const, grantee: this.canonicalUserId, permission: "FULL_CONTROL" as const };
    if (input.ACL !== undefined) {
      const canned: Readonly<Record<string, GrantState[]>> = {
        private: [owner],
        "public-read": [owner, { granteeType: "Group", grantee: ALL_USERS, permission: "READ" }],
        "public-read-write": [owner, { granteeType: "Group", grantee: ALL_USERS, permission: "READ" }, { granteeType: "Group", grantee: ALL_USERS, permission: "WRITE" }],
        "authenticated-read": [owner, { granteeType: "Group", grantee: AUTHENTICATED_USERS, permission: "READ" }],
        "log-delivery-write": [owner, { granteeType: "Group", grantee: LOG_DELIVERY, permission: "WRITE" }, { granteeType: "Group", grantee: LOG_DELIVERY, permission: "READ_ACP" }],
      };
      const grants = canned[input.ACL];
      if (!grants) throw s3Error("InvalidArgument", `Invalid canned ACL: ${input.ACL}`);
      if (input.AccessControlPolicy) throw s3Error("UnexpectedContent", "This request does not support content");
      return grants.map((g) => ({ ...g }));
    }
    const policy = input.AccessControlPolicy;
    if (!policy) {
      if (input.GrantRead || input.GrantWrite || input.GrantFullControl || input.GrantReadACP || input.GrantWriteACP) throw new SimulationError("simulated S3 does not model PutBucketAcl with grant headers");
      throw s3Error("MissingSecurityHeader", "Your request was missing a required header");
    }
    if (policy.Owner?.ID !== this.canonicalUserId) throw s3Error("AccessDenied", "Access Denied");
    return (policy.Grants ?? []).map((grant: Grant): GrantState => {
      const g = grant.Grantee;
      const permission = PERMISSIONS.find((p) => p === grant.Permission);
      if (!g?.Type || !permission) throw s3Error("MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema");
      if (g.Type === "Group") {
        if (![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].includes(g.URI ?? "")) throw s3Error("InvalidArgument", "Invalid group uri");
        return { granteeType: "Group", grantee: g.URI!, permission };
      }
      if (g.Type === "CanonicalUser") {
        if (!/^[0-9a-f]{64}$/.test(g.ID ?? "")) throw s3Error("InvalidArgument", "Invalid id");
        return { granteeType: "CanonicalUser", grantee: g.ID!, permission };
      }
      if (g.Type === "AmazonCustomerByEmail" && g.EmailAddress) return { granteeType: "AmazonCustomerByEmail", grantee: g.EmailAddress, permission };
      throw s3Error("MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema");
    });
  }

  private buildHandlers(): HandlerTable {
    return {
      GetBucketAcl: read((input: GetBucketAclCommandInput): Output<GetBucketAclCommandOutput> => {
        const bucket = this.bucket(input.Bucket);
        return {
          Owner: { ID: this.canonicalUserId },
          Grants: bucket.grants.map((g) => ({
            Grantee: g.granteeType === "Group" ? { Type: "Group", URI: g.grantee } : g.granteeType === "CanonicalUser" ? { Type: "CanonicalUser", ID: g.grantee } : { Type: "AmazonCustomerByEmail", EmailAddress: g.grantee },
            Permission: g.permission,
          })),
        };
      }),
      PutBucketAcl: write((input: PutBucketAclCommandInput) => {
        const bucket = this.bucket(input.Bucket);
        const grants = this.grantsOf(input);
        this.checkAcl(bucket, grants);
        bucket.grants = grants;
        return {};
      }),
      GetBucketPolicy: read((input: GetBucketPolicyCommandInput): Output<GetBucketPolicyCommandOutput> => {
        const bucket = this.bucket(input.Bucket);
        if (bucket.policy === undefined) throw s3Error("NoSuchBucketPolicy", "The bucket policy does not exist");
        return { Policy: bucket.policy };
      }),
      GetBucketPolicyStatus: read((input: GetBucketPolicyStatusCommandInput): Output<GetBucketPolicyStatusCommandOutput> => {
        const bucket = this.bucket(input.Bucket);
        if (bucket.policy === undefined) throw s3Error("NoSuchBucketPolicy", "The bucket policy does not exist");
        return { PolicyStatus: { IsPublic: bucket.policyIsPublic ?? policyJudgedPublic(bucket.policy) } };
      }),
      PutBucketPolicy: write((input: PutBucketPolicyCommandInput) => {
        const bucket = this.bucket(input.Bucket);
        const policy = input.Policy ?? "";
        try {
          const parsed: unknown = JSON.parse(policy);
          if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || (parsed as { Statement?: unknown }).Statement === undefined) throw new Error("no statement");
        } catch {
          throw s3Error("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'");
        }
        if (bucket.publicAccessBlock?.blockPublicPolicy && policyJudgedPublic(policy)) throw s3Error("AccessDenied", "Access Denied");
        bucket.policy = policy;
        bucket.policyIsPublic = undefined;
        return {};
      }),
      DeleteBucketPolicy: write((input: DeleteBucketPolicyCommandInput) => {
        const bucket = this.bucket(input.Bucket);
        bucket.policy = undefined;
        bucket.policyIsPublic = undefined;
        return {};
      }),
      GetPublicAccessBlock: read((input: GetPublicAccessBlockCommandInput): Output<GetPublicAccessBlockCommandOutput> => {
        const block = this.bucket(input.Bucket).publicAccessBlock;
        if (!block) throw s3Error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found");
        return { PublicAccessBlockConfiguration: { BlockPublicAcls: block.blockPublicAcls, IgnorePublicAcls: block.ignorePublicAcls, BlockPublicPolicy: block.blockPublicPolicy, RestrictPublicBuckets: block.restrictPublicBuckets } };
      }),
      PutPublicAccessBlock: write((input: PutPublicAccessBlockCommandInput) => {
        const bucket = this.bucket(input.Bucket);
        const c = input.PublicAccessBlockConfiguration;
        if (!c) throw s3Error("MissingRequestBodyError", "Request Body is empty");
        bucket.publicAccessBlock = { blockPublicAcls: c.BlockPublicAcls === true, ignorePublicAcls: c.IgnorePublicAcls === true, blockPublicPolicy: c.BlockPublicPolicy === true, restrictPublicBuckets: c.RestrictPublicBuckets === true };
        return {};
      }),
      DeletePublicAccessBlock: write((input: DeletePublicAccessBlockCommandInput) => {
        this.bucket(input.Bucket).publicAccessBlock = undefined;
        return {};
      }),
      GetBucketOwnershipControls: read((input: GetBucketOwnershipControlsCommandInput): Output<GetBucketOwnershipControlsCommandOutput> => {
        const ownership = this.bucket(input.Bucket).objectOwnership;
        if (!ownership) throw s3Error("OwnershipControlsNotFoundError", "The bucket ownership controls were not found");
        return { OwnershipControls: { Rules: [{ ObjectOwnership: ownership as "BucketOwnerEnforced" }] } };
      }),
      GetBucketTagging: read((input: GetBucketTaggingCommandInput): Output<GetBucketTaggingCommandOutput> => {
        const tags = this.bucket(input.Bucket).tags;
        if (!tags) throw s3Error("NoSuchTagSet", "The TagSet does not exist");
        return { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
      }),
      PutObject: write(async (input: PutObjectCommandInput): Promise<Output<PutObjectCommandOutput>> => {
        const bucket = this.bucket(input.Bucket);
        if (!input.Key) throw s3Error("InvalidArgument", "Object key is required");
        const body = await bytesOf(input.Body);
        const sha256 = sha256Base64(body);
        if (input.ChecksumSHA256 !== undefined && input.ChecksumSHA256 !== sha256) throw s3Error("BadDigest", "The SHA256 you specified did not match the calculated checksum.");
        if (input.ChecksumCRC32 !== undefined && input.ChecksumCRC32 !== crc32Base64(body)) throw s3Error("BadDigest", "The CRC32 you specified did not match the calculated checksum.");
        const version = this.store(bucket, input.Key, body, input.ContentType ?? "binary/octet-stream", {
          ...(input.ChecksumSHA256 !== undefined ? { sha256 } : {}),
          ...(input.ChecksumCRC32 !== undefined ? { crc32: input.ChecksumCRC32 } : {}),
        });
        return {
          ETag: version.etag,
          ...(bucket.versioning ? { VersionId: version.versionId } : {}),
          ...(version.checksums.sha256 ? { ChecksumSHA256: version.checksums.sha256, ChecksumType: "FULL_OBJECT" as const } : {}),
          ...(version.checksums.crc32 ? { ChecksumCRC32: version.checksums.crc32, ChecksumType: "FULL_OBJECT" as const } : {}),
        };
      }),
      HeadObject: read((input: HeadObjectCommandInput): Output<HeadObjectCommandOutput> => {
        const bucket = this.bucket(input.Bucket);
        const version = this.object(bucket, input.Key, input.VersionId, true);
        const checksums = input.ChecksumMode === "ENABLED" && (version.checksums.sha256 || version.checksums.crc32);
        return {
          ContentLength: version.body.byteLength,
          ContentType: version.contentType,
          ETag: version.etag,
          LastModified: new Date(version.lastModified),
          ...(bucket.versioning ? { VersionId: version.versionId } : {}),
          ...(checksums
            ? { ...(version.checksums.sha256 ? { ChecksumSHA256: version.checksums.sha256 } : {}), ...(version.checksums.crc32 ? { ChecksumCRC32: version.checksums.crc32 } : {}), ChecksumType: "FULL_OBJECT" as const }
            : {}),
        };
      }),
      GetObject: read((input: GetObjectCommandInput) => {
        const bucket = this.bucket(input.Bucket);
        const version = this.object(bucket, input.Key, input.VersionId, false);
        return {
          Body: bodyStream(version.body),
          ContentLength: version.body.byteLength,
          ContentType: version.contentType,
          ETag: version.etag,
          LastModified: new Date(version.lastModified),
          ...(bucket.versioning ? { VersionId: version.versionId } : {}),
        };
      }),
    };
  }

  snapshot() {
    return {
      canonicalUserId: this.canonicalUserId,
      buckets: Object.fromEntries(
        [...this.buckets.values()].map((b) => [
          b.name,
          {
            region: b.region,
            grants: b.grants.map((g) => ({ ...g })),
            public: {
              acl: b.objectOwnership !== "BucketOwnerEnforced" && b.grants.some(isPublicGrant),
              policy: b.policy !== undefined && (b.policyIsPublic ?? policyJudgedPublic(b.policy)),
            },
            policy: b.policy === undefined ? null : (JSON.parse(b.policy) as unknown),
            publicAccessBlock: b.publicAccessBlock ? { ...b.publicAccessBlock } : null,
            objectOwnership: b.objectOwnership ?? null,
            tags: b.tags ? { ...b.tags } : null,
            versioning: b.versioning,
            objects: Object.fromEntries(
              [...b.objects.entries()].map(([key, versions]) => {
                const latest = versions.at(-1)!;
                return [key, { size: latest.body.byteLength, sha256: createHash("sha256").update(latest.body).digest("hex"), versions: versions.length, contentType: latest.contentType }];
              }),
            ),
          },
        ]),
      ),
    };
  }
}
