/**
 * Picks the fastest TF.js backend this host can run: native TensorFlow with CUDA, native
 * TensorFlow on CPU, WebAssembly, then plain JavaScript. The native packages are optional
 * dependencies (their install downloads libtensorflow, which fails on hosts without internet),
 * so each candidate is imported dynamically and a failed import moves on to the next.
 * No logging here: the caller logs the winner and the reasons the others were skipped.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Backend names in order of preference. */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

export type BackendName = (typeof BACKEND_ORDER)[number];

/** The tfjs-core module every crossfix stage uses (converter and layers share this instance). */
export type TF = typeof tf;

/** A candidate that could not be used, and why. */
export interface BackendFailure {
  name: BackendName;
  reason: string;
}

export interface SelectedBackend {
  /** The backend that was set active. */
  name: BackendName;
  /** tfjs-core with `name` active. */
  tf: TF;
  /** Candidates tried before `name`, with the reason each failed. */
  failures: BackendFailure[];
}

/** How each candidate is made available: the package to import and the tfjs backend it registers. */
const CANDIDATES: Record<BackendName, { module: string; registers: string }> = {
  'tensorflow-gpu': { module: '@tensorflow/tfjs-node-gpu', registers: 'tensorflow' },
  tensorflow: { module: '@tensorflow/tfjs-node', registers: 'tensorflow' },
  wasm: { module: '@tensorflow/tfjs-backend-wasm', registers: 'wasm' },
  cpu: { module: '@tensorflow/tfjs-backend-cpu', registers: 'cpu' },
};

let selected: SelectedBackend | undefined;

/**
 * Sets the best available backend active and returns it with the reasons the better ones failed.
 * @param preferred tried first; the rest follow in BACKEND_ORDER @default undefined (BACKEND_ORDER)
 */
export async function selectBackend(preferred?: BackendName): Promise<SelectedBackend> {
  const order = preferred ? [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)] : [...BACKEND_ORDER];
  const failures: BackendFailure[] = [];
  for (const name of order) {
    const reason = await tryBackend(name);
    if (reason === undefined) {
      selected = { name, tf, failures };
      return selected;
    }
    failures.push({ name, reason });
  }
  const why = failures.map((f) => `${f.name}: ${f.reason}`).join('; ');
  throw new Error(`backend: no TF.js backend could be started (${why})`);
}

/** The backend chosen by the last selectBackend, or a fresh default selection when none was made. */
export async function currentBackend(): Promise<SelectedBackend> {
  return selected ?? (await selectBackend());
}

/** Imports and activates one candidate; returns undefined on success or the reason it failed. */
async function tryBackend(name: BackendName): Promise<string | undefined> {
  const { module, registers } = CANDIDATES[name];
  try {
    await import(module);
  } catch (err) {
    return `cannot import ${module} (${firstLine(err)})`;
  }
  if (!tf.findBackendFactory(registers)) {
    return `${module} registered "${registers}" on another @tensorflow/tfjs-core instance (version mismatch)`;
  }
  try {
    if (!(await tf.setBackend(registers))) return `backend "${registers}" failed to initialise`;
    await tf.ready();
  } catch (err) {
    return `backend "${registers}" failed to initialise (${firstLine(err)})`;
  }
  return undefined;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}
