/** Address arithmetic the network models need: IPv4 ranges, canonical IPv6, globs for EC2 filters. */

export function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

export function parseCidrV4(cidr: string): { base: number; prefix: number } {
  const [address = "", prefix = "32"] = cidr.split("/");
  const bits = Number(prefix);
  const size = 2 ** (32 - bits);
  return { base: Math.floor(ipv4ToInt(address) / size) * size, prefix: bits };
}

/** Whether `inner` (a CIDR or an address) lies within `outer`. */
export function cidrContainsV4(outer: string, inner: string): boolean {
  const o = parseCidrV4(outer);
  const i = parseCidrV4(inner.includes("/") ? inner : `${inner}/32`);
  return i.prefix >= o.prefix && i.base >= o.base && i.base < o.base + 2 ** (32 - o.prefix);
}

export const isIpv6 = (cidrOrIp: string): boolean => cidrOrIp.includes(":");

/** RFC 5952 form, as EC2 reports IPv6 ranges back. */
export function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export function canonicalCidr(cidr: string): string {
  const [address = "", prefix] = cidr.split("/");
  return isIpv6(address) ? `${canonicalIpv6(address)}/${prefix ?? "128"}` : cidr;
}

const IPV4_CIDR = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(?:3[0-2]|[12]?\d)$/;

export function isValidCidr(cidr: string): boolean {
  if (IPV4_CIDR.test(cidr)) return true;
  const [address = "", prefix = ""] = cidr.split("/");
  if (!isIpv6(address) || !/^\d{1,3}$/.test(prefix) || Number(prefix) > 128) return false;
  try {
    canonicalIpv6(address);
    return true;
  } catch {
    return false;
  }
}

/** EC2 filter values: `*` any run, `?` one character, backslash escapes. */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) {
      i += 1;
      source += pattern[i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    } else if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}
