import type {
  AccessKeyMetadata,
  CreateLoginProfileCommandInput,
  CreateLoginProfileCommandOutput,
  DeleteLoginProfileCommandInput,
  DeleteRolePolicyCommandInput,
  DeleteUserPolicyCommandInput,
  GenerateCredentialReportCommandOutput,
  GetAccessKeyLastUsedCommandInput,
  GetAccessKeyLastUsedCommandOutput,
  GetAccountPasswordPolicyCommandOutput,
  GetCredentialReportCommandOutput,
  GetInstanceProfileCommandInput,
  GetInstanceProfileCommandOutput,
  GetLoginProfileCommandInput,
  GetLoginProfileCommandOutput,
  GetRoleCommandInput,
  GetRoleCommandOutput,
  GetRolePolicyCommandInput,
  GetRolePolicyCommandOutput,
  GetUserCommandInput,
  GetUserCommandOutput,
  GetUserPolicyCommandInput,
  GetUserPolicyCommandOutput,
  ListAccessKeysCommandInput,
  ListAccessKeysCommandOutput,
  ListMFADevicesCommandInput,
  ListMFADevicesCommandOutput,
  ListRoleTagsCommandInput,
  ListRoleTagsCommandOutput,
  ListUsersCommandInput,
  ListUsersCommandOutput,
  ListUserTagsCommandInput,
  ListUserTagsCommandOutput,
  PutRolePolicyCommandInput,
  PutUserPolicyCommandInput,
  Role,
  UpdateAccessKeyCommandInput,
  User,
} from "@aws-sdk/client-iam";
import * as z from "zod";
import { AccessKeyId, IamRoleName, IamUserName } from "../../../functions/contract/aws-ids.js";
import { ResourceError, serviceError } from "./errors.js";
import { read, write, type HandlerTable, type Output } from "./handlers.js";
import type { TagMap } from "./plain.js";
import type { ModelContext } from "./services.js";

/** IAM: users with keys, passwords, MFA and inline policies; roles; instance profiles; the credential report. */

const Timestamp = z.iso.datetime({ offset: true });
const Tags = z.record(z.string().min(1).max(128), z.string().max(256)).default({});
const PolicyDocument = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

export const IamResources = z.strictObject({
  /** GenerateCredentialReport calls before a new report is COMPLETE. */
  credentialReportPolls: z.number().int().min(1).max(20).default(2),
  rootMfaActive: z.boolean().default(true),
  passwordPolicy: z
    .strictObject({
      minimumPasswordLength: z.number().int().min(6).max(128).default(14),
      requireSymbols: z.boolean().default(false),
      requireNumbers: z.boolean().default(false),
      requireUppercaseCharacters: z.boolean().default(false),
      requireLowercaseCharacters: z.boolean().default(false),
      allowUsersToChangePassword: z.boolean().default(true),
      maxPasswordAge: z.number().int().min(1).max(1095).optional(),
    })
    .optional(),
  users: z
    .array(
      z.strictObject({
        userName: IamUserName,
        userId: z.string().regex(/^AIDA[A-Z0-9]{16,}$/).optional(),
        path: z.string().regex(/^\/(?:[\w+=,.@-]+\/)*$/).default("/"),
        createDate: Timestamp,
        tags: Tags,
        accessKeys: z
          .array(
            z.strictObject({
              accessKeyId: AccessKeyId.refine((id) => id.startsWith("AKIA"), "a user's key is long-term (AKIA…)"),
              status: z.enum(["Active", "Inactive", "Expired"]).default("Active"),
              createDate: Timestamp,
              lastUsed: z.strictObject({ date: Timestamp, service: z.string().min(1), region: z.string().min(1) }).optional(),
            }),
          )
          .max(2, "IAM allows two access keys per user")
          .default([]),
        loginProfile: z
          .strictObject({
            createDate: Timestamp,
            passwordResetRequired: z.boolean().default(false),
            passwordLastUsed: Timestamp.optional(),
          })
          .optional(),
        mfaDevices: z.array(z.strictObject({ serialNumber: z.string().min(9), enableDate: Timestamp })).default([]),
        inlinePolicies: z.record(z.string().regex(/^[\w+=,.@-]{1,128}$/), PolicyDocument).default({}),
      }),
    )
    .default([]),
  roles: z
    .array(
      z.strictObject({
        roleName: IamRoleName,
        roleId: z.string().regex(/^AROA[A-Z0-9]{16,}$/).optional(),
        path: z.string().regex(/^\/(?:[\w+=,.@-]+\/)*$/).default("/"),
        createDate: Timestamp,
        assumeRolePolicy: PolicyDocument.default({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        tags: Tags,
        inlinePolicies: z.record(z.string().regex(/^[\w+=,.@-]{1,128}$/), PolicyDocument).default({}),
      }),
    )
    .default([]),
  instanceProfiles: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[\w+=,.@-]{1,128}$/),
        id: z.string().regex(/^AIPA[A-Z0-9]{16,}$/).optional(),
        roles: z.array(IamRoleName).max(1, "an instance profile holds one role").default([]),
      }),
    )
    .default([]),
});
export type IamResources = z.output<typeof IamResources>;

interface AccessKeyState {
  accessKeyId: string;
  status: string;
  createDate: Date;
  lastUsed?: { date: Date; service: string; region: string } | undefined;
}

interface UserState {
  userName: string;
  userId: string;
  path: string;
  createDate: Date;
  tags: TagMap;
  accessKeys: AccessKeyState[];
  loginProfile?: { createDate: Date; passwordResetRequired: boolean; passwordLastUsed?: Date | undefined } | undefined;
  /** When the password was last set; kept after the profile is deleted, as the report shows it. */
  passwordLastUsed?: Date | undefined;
  mfaDevices: { serialNumber: string; enableDate: Date }[];
  inlinePolicies: Map<string, string>;
}

interface RoleState {
  roleName: string;
  roleId: string;
  path: string;
  createDate: Date;
  assumeRolePolicy: string;
  tags: TagMap;
  inlinePolicies: Map<string, string>;
}

interface InstanceProfileState {
  name: string;
  id: string;
  arn: string;
  roles: string[];
  createDate: Date;
}

interface PasswordPolicyState {
  minimumPasswordLength: number;
  requireSymbols: boolean;
  requireNumbers: boolean;
  requireUppercaseCharacters: boolean;
  requireLowercaseCharacters: boolean;
  allowUsersToChangePassword: boolean;
  maxPasswordAge?: number | undefined;
}

const iamError = (name: string, message: string, status?: number) => serviceError("iam", name, message, status);
const noSuchEntity = (message: string) => iamError("NoSuchEntityException", message);
const documentText = (doc: string | Record<string, unknown>) => (typeof doc === "string" ? doc : JSON.stringify(doc));
/** Inline policy size as IAM counts it: without whitespace. */
const policySize = (doc: string) => doc.replace(/\s/g, "").length;
const REPORT_MAX_AGE_MS = 4 * 3_600_000;

/** A marker page: IAM's Marker is opaque; here it is the offset, base64. */
function pageOf<T>(items: readonly T[], maxItems: number | undefined, marker: string | undefined): { page: T[]; IsTruncated: boolean; Marker?: string } {
  const size = maxItems ?? 100;
  if (size < 1 || size > 1000) throw iamError("ValidationError", `1 validation error detected: Value '${size}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`);
  let offset = 0;
  if (marker !== undefined) {
    const match = /^iam:(\d+)$/.exec(Buffer.from(marker, "base64").toString("utf8"));
    if (!match) throw iamError("ValidationError", "Invalid Marker");
    offset = Number(match[1]);
  }
  const end = offset + size;
  return { page: items.slice(offset, end), IsTruncated: end < items.length, ...(end < items.length ? { Marker: Buffer.from(`iam:${end}`).toString("base64") } : {}) };
}

export class IamModel {
  readonly users = new Map<string, UserState>();
  readonly roles = new Map<string, RoleState>();
  readonly instanceProfiles = new Map<string, InstanceProfileState>();
  passwordPolicy?: PasswordPolicyState | undefined;
  rootMfaActive = true;
  credentialReportPolls = 2;
  /** The report: started when first asked for, complete after some polls, stale after four hours. */
  report?: { startedAt: Date; pollsLeft: number; generatedAt?: Date; content?: string } | undefined;
  readonly handlers: HandlerTable;

  constructor(private readonly ctx: ModelContext) {
    this.handlers = this.buildHandlers();
  }

  private arn(kind: "user" | "role" | "instance-profile", path: string, name: string): string {
    return `arn:aws:iam::${this.ctx.accountId}:${kind}${path}${name}`;
  }

  instanceProfileByArn(arn: string): InstanceProfileState | undefined {
    return [...this.instanceProfiles.values()].find((p) => p.arn === arn);
  }

  userOf(name: string | undefined): UserState {
    if (name === undefined) throw iamError("ValidationError", "Must specify userName when calling with non-User credentials");
    const user = this.users.get(name);
    if (!user) throw noSuchEntity(`The user with name ${name} cannot be found.`);
    return user;
  }

  roleOf(name: string | undefined): RoleState {
    const role = name === undefined ? undefined : this.roles.get(name);
    if (!role) throw noSuchEntity(`The role with name ${name ?? "(none)"} cannot be found.`);
    return role;
  }

  seed(resources: IamResources, path: readonly (string | number)[]): void {
    this.rootMfaActive = resources.rootMfaActive;
    this.credentialReportPolls = resources.credentialReportPolls;
    this.passwordPolicy = resources.passwordPolicy;
    const keys = new Set<string>();
    resources.users.forEach((u, i) => {
      if (this.users.has(u.userName)) throw new ResourceError([...path, "users", i, "userName"], `${u.userName} is declared twice`);
      const policies = new Map(Object.entries(u.inlinePolicies).map(([name, doc]) => [name, documentText(doc)]));
      u.accessKeys.forEach((k, j) => {
        if (keys.has(k.accessKeyId)) throw new ResourceError([...path, "users", i, "accessKeys", j, "accessKeyId"], `${k.accessKeyId} is declared twice`);
        keys.add(k.accessKeyId);
      });
      this.users.set(u.userName, {
        userName: u.userName,
        userId: u.userId ?? this.ctx.ids.iamId("AIDA"),
        path: u.path,
        createDate: new Date(u.createDate),
        tags: { ...u.tags },
        accessKeys: u.accessKeys.map((k) => ({
          accessKeyId: k.accessKeyId,
          status: k.status,
          createDate: new Date(k.createDate),
          ...(k.lastUsed ? { lastUsed: { date: new Date(k.lastUsed.date), service: k.lastUsed.service, region: k.lastUsed.region } } : {}),
        })),
        ...(u.loginProfile
          ? {
              loginProfile: {
                createDate: new Date(u.loginProfile.createDate),
                passwordResetRequired: u.loginProfile.passwordResetRequired,
                ...(u.loginProfile.passwordLastUsed ? { passwordLastUsed: new Date(u.loginProfile.passwordLastUsed) } : {}),
              },
              ...(u.loginProfile.passwordLastUsed ? { passwordLastUsed: new Date(u.loginProfile.passwordLastUsed) } : {}),
            }
          : {}),
        mfaDevices: u.mfaDevices.map((d) => ({ serialNumber: d.serialNumber, enableDate: new Date(d.enableDate) })),
        inlinePolicies: policies,
      });
    });
    resources.roles.forEach((r, i) => {
      if (this.roles.has(r.roleName)) throw new ResourceError([...path, "roles", i, "roleName"], `${r.roleName} is declared twice`);
      this.roles.set(r.roleName, {
        roleName: r.roleName,
        roleId: r.roleId ?? this.ctx.ids.iamId("AROA"),
        path: r.path,
        createDate: new Date(r.createDate),
        assumeRolePolicy: documentText(r.assumeRolePolicy),
        tags: { ...r.tags },
        inlinePolicies: new Map(Object.entries(r.inlinePolicies).map(([name, doc]) => [name, documentText(doc)])),
      });
    });
    resources.instanceProfiles.forEach((p, i) => {
      if (this.instanceProfiles.has(p.name)) throw new ResourceError([...path, "instanceProfiles", i, "name"], `${p.name} is declared twice`);
      p.roles.forEach((role, j) => {
        if (!this.roles.has(role)) throw new ResourceError([...path, "instanceProfiles", i, "roles", j], `${role} is not declared in iam.roles`);
      });
      this.instanceProfiles.set(p.name, { name: p.name, id: p.id ?? this.ctx.ids.iamId("AIPA"), arn: this.arn("instance-profile", "/", p.name), roles: [...p.roles], createDate: new Date(this.ctx.now().getTime() - 90 * 86_400_000) });
    });
  }

  private sdkUser(user: UserState): User {
    return {
      Path: user.path,
      UserName: user.userName,
      UserId: user.userId,
      Arn: this.arn("user", user.path, user.userName),
      CreateDate: new Date(user.createDate),
      ...(user.passwordLastUsed ? { PasswordLastUsed: new Date(user.passwordLastUsed) } : {}),
      ...(Object.keys(user.tags).length > 0 ? { Tags: Object.entries(user.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
    };
  }

  private sdkRole(role: RoleState): Role {
    return {
      Path: role.path,
      RoleName: role.roleName,
      RoleId: role.roleId,
      Arn: this.arn("role", role.path, role.roleName),
      CreateDate: new Date(role.createDate),
      AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicy),
      MaxSessionDuration: 3600,
      ...(Object.keys(role.tags).length > 0 ? { Tags: Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
    };
  }

  /** IAM checks the grammar of a policy it is given; this checks the parts every policy needs. */
  private checkPolicy(document: string | undefined): string {
    if (!document) throw iamError("ValidationError", "1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null");
    let parsed: unknown;
    try {
      parsed = JSON.parse(document);
    } catch {
      throw iamError("MalformedPolicyDocumentException", "Syntax errors in policy.");
    }
    const statements = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>).Statement : undefined;
    const list = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
    if (list.length === 0) throw iamError("MalformedPolicyDocumentException", "Policy statement must contain resources.");
    for (const statement of list) {
      const s = (typeof statement === "object" && statement !== null ? statement : {}) as Record<string, unknown>;
      if (s.Effect !== "Allow" && s.Effect !== "Deny") throw iamError("MalformedPolicyDocumentException", "Policy statement must contain an Effect of Allow or Deny.");
      if (s.Action === undefined && s.NotAction === undefined) throw iamError("MalformedPolicyDocumentException", "Policy statement must contain actions.");
      if (s.Resource === undefined && s.NotResource === undefined) throw iamError("MalformedPolicyDocumentException", "Policy statement must contain resources.");
      if (s.Principal !== undefined || s.NotPrincipal !== undefined) throw iamError("MalformedPolicyDocumentException", "Policy document should not specify a principal.");
    }
    return document;
  }

  private putPolicy(owner: { inlinePolicies: Map<string, string> }, name: string | undefined, document: string | undefined, limit: number, who: string): object {
    if (!name || !/^[\w+=,.@-]{1,128}$/.test(name)) throw iamError("ValidationError", `1 validation error detected: Value '${name ?? ""}' at 'policyName' failed to satisfy constraint`);
    const text = this.checkPolicy(document);
    const total = [...owner.inlinePolicies.entries()].filter(([n]) => n !== name).reduce((sum, [, d]) => sum + policySize(d), 0) + policySize(text);
    if (total > limit) throw iamError("LimitExceededException", `Maximum policy size of ${limit} bytes exceeded for ${who}`);
    owner.inlinePolicies.set(name, text);
    return {};
  }

  private checkPassword(password: string | undefined): void {
    if (!password) throw iamError("ValidationError", "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null");
    const policy = this.passwordPolicy;
    const weak =
      password.length > 128 ||
      password.length < (policy?.minimumPasswordLength ?? 8) ||
      (policy?.requireSymbols && !/[^A-Za-z0-9]/.test(password)) ||
      (policy?.requireNumbers && !/\d/.test(password)) ||
      (policy?.requireUppercaseCharacters && !/[A-Z]/.test(password)) ||
      (policy?.requireLowercaseCharacters && !/[a-z]/.test(password));
    if (weak) throw iamError("PasswordPolicyViolationException", "Password does not conform to the account password policy.");
  }

  private keyOwner(accessKeyId: string | undefined): { user: UserState; key: AccessKeyState } | undefined {
    for (const user of this.users.values()) {
      const key = user.accessKeys.find((k) => k.accessKeyId === accessKeyId);
      if (key) return { user, key };
    }
    return undefined;
  }

  /** The report as IAM builds it: root first, then every user, dates in ISO 8601 with an offset. */
  private buildReport(now: Date): string {
    const date = (d: Date | undefined, none: string) => (d ? d.toISOString().replace(/\.\d{3}Z$/, "+00:00") : none);
    const header = [
      "user",
      "arn",
      "user_creation_time",
      "password_enabled",
      "password_last_used",
      "password_last_changed",
      "password_next_rotation",
      "mfa_active",
      "access_key_1_active",
      "access_key_1_last_rotated",
      "access_key_1_last_used_date",
      "access_key_1_last_used_region",
      "access_key_1_last_used_service",
      "access_key_2_active",
      "access_key_2_last_rotated",
      "access_key_2_last_used_date",
      "access_key_2_last_used_region",
      "access_key_2_last_used_service",
      "cert_1_active",
      "cert_1_last_rotated",
      "cert_2_active",
      "cert_2_last_rotated",
    ];
    const accountCreated = new Date(Math.min(now.getTime() - 365 * 86_400_000, ...[...this.users.values()].map((u) => u.createDate.getTime())));
    const root = [
      "<root_account>",
      `arn:aws:iam::${this.ctx.accountId}:root`,
      date(accountCreated, "N/A"),
      "not_supported",
      "no_information",
      "not_supported",
      "not_supported",
      String(this.rootMfaActive),
      ...["false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A"],
      ...["false", "N/A", "false", "N/A"],
    ];
    const keyCells = (key: AccessKeyState | undefined) =>
      key
        ? [String(key.status === "Active"), date(key.createDate, "N/A"), date(key.lastUsed?.date, "N/A"), key.lastUsed?.region ?? "N/A", key.lastUsed?.service ?? "N/A"]
        : ["false", "N/A", "N/A", "N/A", "N/A"];
    const rows = [...this.users.values()].map((user) => {
      const profile = user.loginProfile;
      const rotation = profile && this.passwordPolicy?.maxPasswordAge ? date(new Date(profile.createDate.getTime() + this.passwordPolicy.maxPasswordAge * 86_400_000), "N/A") : "N/A";
      return [
        user.userName,
        this.arn("user", user.path, user.userName),
        date(user.createDate, "N/A"),
        String(profile !== undefined),
        profile ? date(profile.passwordLastUsed, "no_information") : date(user.passwordLastUsed, "N/A"),
        profile ? date(profile.createDate, "N/A") : "N/A",
        rotation,
        String(user.mfaDevices.length > 0),
        ...keyCells(user.accessKeys[0]),
        ...keyCells(user.accessKeys[1]),
        "false",
        "N/A",
        "false",
        "N/A",
      ];
    });
    const cell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
    return [header, root, ...rows].map((row) => row.map(cell).join(",")).join("\n");
  }

  private buildHandlers(): HandlerTable {
    return {
      GetUser: read((input: GetUserCommandInput): Output<GetUserCommandOutput> => ({ User: this.sdkUser(this.userOf(input.UserName)) })),
      ListUsers: read((input: ListUsersCommandInput): Output<ListUsersCommandOutput> => {
        const users = [...this.users.values()].filter((u) => !input.PathPrefix || u.path.startsWith(input.PathPrefix)).sort((a, b) => a.userName.localeCompare(b.userName));
        const { page, ...rest } = pageOf(users, input.MaxItems, input.Marker);
        return { Users: page.map((u) => this.sdkUser(u)), ...rest };
      }),
      ListUserTags: read((input: ListUserTagsCommandInput): Output<ListUserTagsCommandOutput> => {
        const { page, ...rest } = pageOf(Object.entries(this.userOf(input.UserName).tags), input.MaxItems, input.Marker);
        return { Tags: page.map(([Key, Value]) => ({ Key, Value })), ...rest };
      }),
      GetRole: read((input: GetRoleCommandInput): Output<GetRoleCommandOutput> => ({ Role: this.sdkRole(this.roleOf(input.RoleName)) })),
      ListRoleTags: read((input: ListRoleTagsCommandInput): Output<ListRoleTagsCommandOutput> => {
        const { page, ...rest } = pageOf(Object.entries(this.roleOf(input.RoleName).tags), input.MaxItems, input.Marker);
        return { Tags: page.map(([Key, Value]) => ({ Key, Value })), ...rest };
      }),
      GetUserPolicy: read((input: GetUserPolicyCommandInput): Output<GetUserPolicyCommandOutput> => {
        const user = this.userOf(input.UserName);
        const document = user.inlinePolicies.get(input.PolicyName ?? "");
        if (document === undefined) throw noSuchEntity(`The user policy with name ${input.PolicyName ?? ""} cannot be found.`);
        return { UserName: user.userName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
      }),
      GetRolePolicy: read((input: GetRolePolicyCommandInput): Output<GetRolePolicyCommandOutput> => {
        const role = this.roleOf(input.RoleName);
        const document = role.inlinePolicies.get(input.PolicyName ?? "");
        if (document === undefined) throw noSuchEntity(`The role policy with name ${input.PolicyName ?? ""} cannot be found.`);
        return { RoleName: role.roleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
      }),
      PutUserPolicy: write((input: PutUserPolicyCommandInput) => {
        const user = this.userOf(input.UserName);
        return this.putPolicy(user, input.PolicyName, input.PolicyDocument, 2048, `user ${user.userName}`);
      }),
      PutRolePolicy: write((input: PutRolePolicyCommandInput) => {
        const role = this.roleOf(input.RoleName);
        return this.putPolicy(role, input.PolicyName, input.PolicyDocument, 10240, `role ${role.roleName}`);
      }),
      DeleteUserPolicy: write((input: DeleteUserPolicyCommandInput) => {
        const user = this.userOf(input.UserName);
        if (!user.inlinePolicies.delete(input.PolicyName ?? "")) throw noSuchEntity(`The user policy with name ${input.PolicyName ?? ""} cannot be found.`);
        return {};
      }),
      DeleteRolePolicy: write((input: DeleteRolePolicyCommandInput) => {
        const role = this.roleOf(input.RoleName);
        if (!role.inlinePolicies.delete(input.PolicyName ?? "")) throw noSuchEntity(`The role policy with name ${input.PolicyName ?? ""} cannot be found.`);
        return {};
      }),
      GetLoginProfile: read((input: GetLoginProfileCommandInput): Output<GetLoginProfileCommandOutput> => {
        const user = this.userOf(input.UserName);
        if (!user.loginProfile) throw noSuchEntity(`Login Profile for User ${user.userName} cannot be found.`);
        return { LoginProfile: { UserName: user.userName, CreateDate: new Date(user.loginProfile.createDate), PasswordResetRequired: user.loginProfile.passwordResetRequired } };
      }),
      DeleteLoginProfile: write((input: DeleteLoginProfileCommandInput) => {
        const user = this.userOf(input.UserName);
        if (!user.loginProfile) throw noSuchEntity(`Login Profile for User ${user.userName} cannot be found.`);
        user.loginProfile = undefined;
        return {};
      }),
      CreateLoginProfile: write((input: CreateLoginProfileCommandInput): Output<CreateLoginProfileCommandOutput> => {
        const user = this.userOf(input.UserName);
        if (user.loginProfile) throw iamError("EntityAlreadyExistsException", `Login Profile for user ${user.userName} already exists.`);
        this.checkPassword(input.Password);
        // The password itself is never kept: only that one is set.
        const createDate = this.ctx.now();
        user.loginProfile = { createDate, passwordResetRequired: input.PasswordResetRequired ?? false };
        return { LoginProfile: { UserName: user.userName, CreateDate: new Date(createDate), PasswordResetRequired: user.loginProfile.passwordResetRequired } };
      }),
      GetAccountPasswordPolicy: read((): Output<GetAccountPasswordPolicyCommandOutput> => {
        const p = this.passwordPolicy;
        if (!p) throw noSuchEntity(`The Password Policy with domain name ${this.ctx.accountId} cannot be found.`);
        return {
          PasswordPolicy: {
            MinimumPasswordLength: p.minimumPasswordLength,
            RequireSymbols: p.requireSymbols,
            RequireNumbers: p.requireNumbers,
            RequireUppercaseCharacters: p.requireUppercaseCharacters,
            RequireLowercaseCharacters: p.requireLowercaseCharacters,
            AllowUsersToChangePassword: p.allowUsersToChangePassword,
            ExpirePasswords: p.maxPasswordAge !== undefined,
            ...(p.maxPasswordAge !== undefined ? { MaxPasswordAge: p.maxPasswordAge } : {}),
          },
        };
      }),
      ListMFADevices: read((input: ListMFADevicesCommandInput): Output<ListMFADevicesCommandOutput> => {
        const user = this.userOf(input.UserName);
        return { MFADevices: user.mfaDevices.map((d) => ({ UserName: user.userName, SerialNumber: d.serialNumber, EnableDate: new Date(d.enableDate) })), IsTruncated: false };
      }),
      GetAccessKeyLastUsed: read((input: GetAccessKeyLastUsedCommandInput): Output<GetAccessKeyLastUsedCommandOutput> => {
        const found = this.keyOwner(input.AccessKeyId);
        // IAM cannot place a key that is not in this account, and answers as it would for a denied call.
        if (!found) throw iamError("AccessDenied", `User: arn:aws:sts::${this.ctx.accountId}:assumed-role/irflow-task/simulated is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key ${input.AccessKeyId ?? ""}`);
        const used = found.key.lastUsed;
        return {
          UserName: found.user.userName,
          AccessKeyLastUsed: used ? { LastUsedDate: new Date(used.date), ServiceName: used.service, Region: used.region } : { ServiceName: "N/A", Region: "N/A" },
        };
      }),
      ListAccessKeys: read((input: ListAccessKeysCommandInput): Output<ListAccessKeysCommandOutput> => {
        const user = this.userOf(input.UserName);
        const { page, ...rest } = pageOf(user.accessKeys, input.MaxItems, input.Marker);
        return { AccessKeyMetadata: page.map((k): AccessKeyMetadata => ({ UserName: user.userName, AccessKeyId: k.accessKeyId, Status: k.status as AccessKeyMetadata["Status"], CreateDate: new Date(k.createDate) })), ...rest };
      }),
      UpdateAccessKey: write((input: UpdateAccessKeyCommandInput) => {
        const user = this.userOf(input.UserName);
        const key = user.accessKeys.find((k) => k.accessKeyId === input.AccessKeyId);
        if (!key) throw noSuchEntity(`The Access Key with id ${input.AccessKeyId ?? ""} cannot be found.`);
        if (input.Status !== "Active" && input.Status !== "Inactive") throw iamError("ValidationError", `1 validation error detected: Value '${String(input.Status)}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`);
        key.status = input.Status;
        return {};
      }),
      GetInstanceProfile: read((input: GetInstanceProfileCommandInput): Output<GetInstanceProfileCommandOutput> => {
        const profile = this.instanceProfiles.get(input.InstanceProfileName ?? "");
        if (!profile) throw noSuchEntity(`Instance Profile ${input.InstanceProfileName ?? ""} cannot be found.`);
        return {
          InstanceProfile: {
            Path: "/",
            InstanceProfileName: profile.name,
            InstanceProfileId: profile.id,
            Arn: profile.arn,
            CreateDate: new Date(profile.createDate),
            Roles: profile.roles.flatMap((name) => {
              const role = this.roles.get(name);
              return role ? [this.sdkRole(role)] : [];
            }),
          },
        };
      }),
      GenerateCredentialReport: write((): Output<GenerateCredentialReportCommandOutput> => {
        const now = this.ctx.now();
        const report = this.report;
        if (report?.generatedAt && now.getTime() - report.generatedAt.getTime() < REPORT_MAX_AGE_MS) return { State: "COMPLETE" };
        if (!report || report.generatedAt) {
          this.report = { startedAt: now, pollsLeft: this.credentialReportPolls - 1 };
          if (this.report.pollsLeft > 0) return { State: "STARTED", Description: "No report exists. Starting a new report generation task" };
        } else {
          report.pollsLeft -= 1;
          if (report.pollsLeft > 0) return { State: "INPROGRESS" };
        }
        const current = this.report!;
        current.generatedAt = now;
        current.content = this.buildReport(now);
        return { State: "COMPLETE" };
      }),
      GetCredentialReport: read((): Output<GetCredentialReportCommandOutput> => {
        const report = this.report;
        if (!report) throw iamError("CredentialReportNotPresentException", "Unknown (report not generated)");
        if (!report.generatedAt || report.content === undefined) throw iamError("CredentialReportNotReadyException", "Report generation in progress");
        if (this.ctx.now().getTime() - report.generatedAt.getTime() > REPORT_MAX_AGE_MS) throw iamError("CredentialReportExpiredException", "Report expired");
        return { Content: new TextEncoder().encode(report.content), ReportFormat: "text/csv", GeneratedTime: new Date(report.generatedAt) };
      }),
    };
  }

  snapshot() {
    const parsed = (doc: string): unknown => {
      try {
        return JSON.parse(doc) as unknown;
      } catch {
        return doc;
      }
    };
    const policies = (map: Map<string, string>) => Object.fromEntries([...map.entries()].map(([name, doc]) => [name, parsed(doc)]));
    return {
      rootMfaActive: this.rootMfaActive,
      users: Object.fromEntries(
        [...this.users.values()].map((u) => [
          u.userName,
          {
            arn: this.arn("user", u.path, u.userName),
            tags: { ...u.tags },
            accessKeys: u.accessKeys.map((k) => ({ accessKeyId: k.accessKeyId, status: k.status, createDate: k.createDate.toISOString() })),
            loginProfile: u.loginProfile ? { createDate: u.loginProfile.createDate.toISOString(), passwordResetRequired: u.loginProfile.passwordResetRequired } : null,
            mfaDevices: u.mfaDevices.map((d) => d.serialNumber),
            inlinePolicies: policies(u.inlinePolicies),
          },
        ]),
      ),
      roles: Object.fromEntries([...this.roles.values()].map((r) => [r.roleName, { arn: this.arn("role", r.path, r.roleName), tags: { ...r.tags }, inlinePolicies: policies(r.inlinePolicies) }])),
      instanceProfiles: Object.fromEntries([...this.instanceProfiles.values()].map((p) => [p.name, { arn: p.arn, roles: [...p.roles] }])),
      credentialReport: this.report ? { state: this.report.generatedAt ? "COMPLETE" : "INPROGRESS", generatedAt: this.report.generatedAt?.toISOString() ?? null } : null,
    };
  }
}
