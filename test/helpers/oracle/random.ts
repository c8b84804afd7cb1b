/**
 * Seeded randomness for the oracle workloads: mulberry32, small and good enough for choosing
 * statements and values. A run is replayed by forcing its seed (CHRONICLE_ORACLE_SEED); the
 * length of the workloads scales with CHRONICLE_ORACLE_TRANSACTIONS.
 */

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** one of the keys of weights, with probability proportional to its weight */
  weighted<K extends string>(weights: Partial<Record<K, number>>): K {
    const entries = Object.entries(weights).filter(([, w]) => (w as number) > 0) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [key, w] of entries) {
      x -= w;
      if (x < 0) return key;
    }
    return entries[entries.length - 1][0];
  }

  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }

  /** n distinct items (fewer if the list is shorter), in random order */
  sample<T>(items: readonly T[], n: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, Math.min(n, items.length)));
  }

  /** an independent generator derived from this one and a label, so adding a consumer elsewhere does not shift this stream */
  fork(label: string): Rng {
    let h = this.seed ^ 0x9e3779b9;
    for (let i = 0; i < label.length; i += 1) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Rng(h >>> 0);
  }
}

/** The seed of this run: CHRONICLE_ORACLE_SEED when set, else a fresh one (printed by the tests). */
export function oracleSeed(env: NodeJS.ProcessEnv = process.env): number {
  const forced = env.CHRONICLE_ORACLE_SEED;
  if (forced !== undefined && forced !== '') {
    const seed = Number(forced);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(`CHRONICLE_ORACLE_SEED must be an integer in [0, 4294967295], not "${forced}"`);
    }
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}

/**
 * How many transactions a workload runs: its default, scaled by CHRONICLE_ORACLE_TRANSACTIONS
 * (the number of transactions of the default workload, 40; e.g. 400 runs every workload 10x longer).
 */
export const DEFAULT_ORACLE_TRANSACTIONS = 40;

export function oracleTransactions(defaultCount: number, env: NodeJS.ProcessEnv = process.env): number {
  const forced = env.CHRONICLE_ORACLE_TRANSACTIONS;
  if (forced === undefined || forced === '') return defaultCount;
  const n = Number(forced);
  if (!Number.isInteger(n) || n < 1) throw new Error(`CHRONICLE_ORACLE_TRANSACTIONS must be a positive integer, not "${forced}"`);
  return Math.max(1, Math.round((defaultCount * n) / DEFAULT_ORACLE_TRANSACTIONS));
}
