/**
 * A seeded pseudo-random generator (mulberry32), written out rather than imported: the
 * chaos schedule must be the same for the same seed on every machine and every version
 * of our dependencies, and ten lines cannot change under us the way a transitive
 * package (fast-check's pure-rand) can.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    // Mix the seed once so that seeds 1, 2, 3 do not start from neighbouring states.
    this.state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ (seed >>> 13)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A generator of its own for another purpose, so adding draws to one leaves the other unchanged. */
  fork(salt: number): Prng {
    return new Prng((this.int(0, 0x7fffffff) ^ salt) >>> 0);
  }
}
