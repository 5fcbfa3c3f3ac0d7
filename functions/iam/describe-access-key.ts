import { canonicalJson, sha256Hex } from "../contract/digest.js";
import { implementTask } from "../contract/task.js";
import { ageInDays, locateAccessKey } from "./access-keys.js";
import contract from "./describe-access-key.contract.js";

export default implementTask(contract, {
  async run({ accessKeyId, userName }, ctx) {
    const key = await locateAccessKey(accessKeyId, userName, ctx);
    const output = {
      accessKeyId,
      userName: key.userName,
      status: key.status,
      createdAt: key.createdAt.toISOString(),
      ageDays: ageInDays(key.createdAt, ctx.clock.now()),
      ...(key.lastUsed.at ? { lastUsedAt: key.lastUsed.at.toISOString() } : {}),
      ...(key.lastUsed.service ? { lastUsedService: key.lastUsed.service } : {}),
      ...(key.lastUsed.region ? { lastUsedRegion: key.lastUsed.region } : {}),
      otherKeys: key.otherKeys.slice(0, 1).map((k) => ({ accessKeyId: k.accessKeyId, status: k.status, createdAt: k.createdAt.toISOString() })),
    };
    // IAM keeps only the latest use, and the next call with the key overwrites it: hash what was seen.
    const activity = { accessKeyId, userName: key.userName, status: key.status, createdAt: output.createdAt, lastUsedAt: output.lastUsedAt ?? null, lastUsedService: output.lastUsedService ?? null, lastUsedRegion: output.lastUsedRegion ?? null, observedAt: ctx.clock.now().toISOString() };
    const used = output.lastUsedAt ? `last used ${output.lastUsedAt} (${output.lastUsedService ?? "unknown service"}, ${output.lastUsedRegion ?? "unknown region"})` : "never used";
    return {
      output,
      changes: [],
      evidence: [
        {
          kind: "iam-key-activity",
          location: `iam:access-key/${accessKeyId}`,
          sha256: sha256Hex(canonicalJson(activity)),
          description: `access key ${accessKeyId} of ${key.userName}: ${key.status}, created ${output.createdAt}, ${used}`,
        },
      ],
      summary: `${accessKeyId} belongs to ${key.userName}: ${key.status}, ${output.ageDays} days old, ${used}${output.otherKeys.length > 0 ? `; the user has another key (${output.otherKeys[0]!.accessKeyId}, ${output.otherKeys[0]!.status})` : ""}`,
    };
  },
});
