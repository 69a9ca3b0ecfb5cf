/**
 * Small deterministic PRNG (a 128-bit "small fast counter" generator) with
 * independent named streams: `new SeededRng(seed, "blk.0.ffn_up")` gives the
 * same numbers whatever else was drawn before, so the file's bytes depend
 * only on the options, never on generation order, time or Math.random.
 */
export class SeededRng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number, stream = "") {
    // Mix seed and stream name into four 32-bit words (FNV-1a, then avalanche).
    let h = 0x811c9dc5;
    const mixIn = (x: number) => {
      h ^= x & 0xff;
      h = Math.imul(h, 0x01000193);
    };
    for (let i = 0; i < 7; i++) mixIn(Math.floor(seed / 2 ** (8 * i)) % 256);
    for (let i = 0; i < stream.length; i++) {
      mixIn(stream.charCodeAt(i));
      mixIn(stream.charCodeAt(i) >>> 8);
    }
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      h ^= h >>> 16;
      words.push(h >>> 0);
      h = (h + 0x9e3779b9) | 0;
    }
    [this.a, this.b, this.c, this.d] = words;
    for (let i = 0; i < 16; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fills `out` with uniform values of mean 0 and standard deviation `std`. */
  fillUniform(out: Float32Array, std: number, start = 0, end = out.length): void {
    const scale = (std * Math.sqrt(12)) / 4294967296;
    for (let i = start; i < end; i++) out[i] = (this.nextU32() - 2147483648) * scale;
  }

  /** A random unit vector of length n (independent uniform entries, normalised: cheap, and nearly orthogonal to others). */
  unitVector(n: number): Float64Array {
    const v = new Float64Array(n);
    let norm = 0;
    for (let i = 0; i < n; i++) {
      v[i] = this.nextU32() - 2147483647.5;
      norm += v[i] * v[i];
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i] /= norm;
    return v;
  }

  /** Fisher–Yates shuffle, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
