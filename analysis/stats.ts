/**
 * Numerical helpers of the engine: the complementary error function, McNemar's test, a seeded
 * random generator, a Poisson sampler and order statistics. Pure module.
 */

const SQRT_PI = Math.sqrt(Math.PI);

/** erfc(x) for x ≥ 0: power series of erf below 2, continued fraction above (≈1e-13 relative). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  let f = x;
  for (let k = 120; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / (SQRT_PI * f);
}

function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / SQRT_PI) * sum;
}

/** Upper tail of the chi-square distribution with one degree of freedom. */
export function chiSquare1Tail(x: number): number {
  return x <= 0 ? 1 : erfc(Math.sqrt(x / 2));
}

/** McNemar's test over the discordant counts b (a right only) and c (b right only). */
export function mcnemar(b: number, c: number): { statistic: number; p: number } {
  const m = b + c;
  if (m === 0) return { statistic: 0, p: 1 };
  const statistic = Math.max(Math.abs(b - c) - 1, 0) ** 2 / m;
  return { statistic, p: m < 25 ? exactBinomialTwoSided(Math.min(b, c), m) : chiSquare1Tail(statistic) };
}

/** Two-sided exact binomial p-value of observing ≤ k of m at probability ½ (doubled, capped at 1). */
export function exactBinomialTwoSided(k: number, m: number): number {
  let coefficient = 1;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    tail += coefficient;
    coefficient = (coefficient * (m - i)) / (i + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** m);
}

/** A uniform [0, 1) generator. */
export type Random = () => number;

function splitmix32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let t = state ^ (state >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

/** Seeded sfc32 stream number `stream` of `seed`: independent of how many other streams exist. */
export function randomStream(seed: number, stream: number): Random {
  const mix = splitmix32(Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul((stream | 0) + 0x632be5ab, 0x85ebca6b));
  let a = mix(), b = mix(), c = mix(), d = mix();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = ((c << 21) | (c >>> 11)) + t | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

const LOG_FACTORIAL = [0];
for (let k = 1; k < 256; k++) LOG_FACTORIAL.push(LOG_FACTORIAL[k - 1]! + Math.log(k));

/** ln(k!) for integer k ≥ 0: a table below 256, Stirling's series above. */
export function logFactorial(k: number): number {
  if (k < 256) return LOG_FACTORIAL[k]!;
  const x = k + 1;
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

/** A Poisson(lambda) draw: multiplication below 10, Hörmann's PTRS rejection above. */
export function poisson(lambda: number, random: Random): number {
  return poissonSampler(lambda)(random);
}

/** A sampler of Poisson(lambda) with its constants computed once, for many draws. */
export function poissonSampler(lambda: number): (random: Random) => number {
  if (lambda <= 0) return () => 0;
  if (lambda < 10) {
    const limit = Math.exp(-lambda);
    return (random) => {
      let k = 0;
      for (let product = random(); product > limit; product *= random()) k++;
      return k;
    };
  }
  return ptrsSampler(lambda);
}

function ptrsSampler(lambda: number): (random: Random) => number {
  const logLambda = Math.log(lambda);
  const b = 0.931 + 2.53 * Math.sqrt(lambda);
  const a = -0.059 + 0.02483 * b;
  const logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
  const vr = 0.9277 - 3.6224 / (b - 2);
  return (random) => {
    for (;;) {
      const u = random() - 0.5;
      const v = random();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + logInvAlpha - Math.log(a / (us * us) + b) <= -lambda + k * logLambda - logFactorial(k)) return k;
    }
  };
}

/** Rearranges `values` so values[k] is the k-th smallest (quickselect); returns it. */
export function select(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (hi > lo) {
    const pivot = values[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k]!;
}

/**
 * Percentile interval of resampled values at `confidence`: the order statistics of rank
 * round((R−1)·α/2) and (R−1) minus that rank, so the interval is symmetric in rank.
 */
export function percentileInterval(values: Float64Array, confidence: number): [number, number] {
  const last = values.length - 1;
  const low = Math.round((last * (1 - confidence)) / 2);
  const lowValue = select(values, low);
  return [lowValue, select(values, last - low)];
}
