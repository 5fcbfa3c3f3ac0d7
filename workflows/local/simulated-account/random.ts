/**
 * A small seeded PRNG (mulberry32): the same seed gives the same sequence on every machine, which
 * is what makes injected faults and generated ids reproducible.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  hex(digits: number): string {
    let out = "";
    while (out.length < digits) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }

  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i += 4) {
      const word = Math.floor(this.next() * 4294967296);
      for (let j = 0; j < 4 && i + j < count; j += 1) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  }
}

/** A seed from any text (an account id, a command id), for per-purpose generators. */
export function seedOf(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/** Ids in the formats AWS uses, deterministic for a given seed. */
export class IdGenerator {
  private readonly random: SeededRandom;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  /** An EC2-style id: prefix and 17 hex digits (i-…, sg-…, snap-…, r-…). */
  ec2(prefix: string): string {
    return `${prefix}-${this.random.hex(17)}`;
  }

  uuid(): string {
    const h = this.random.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Upper-case alphanumerics (IAM unique ids: AIDA…, AROA…). */
  iamId(prefix: string): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let out = prefix;
    while (out.length < 21) out += alphabet[Math.floor(this.random.next() * alphabet.length)]!;
    return out;
  }

  hex(digits: number): string {
    return this.random.hex(digits);
  }
}
