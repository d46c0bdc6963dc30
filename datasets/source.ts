/**
 * What every ingest source hands the shard writer: classes, the samples in sample-id order, and
 * a way to load their encoded images a window at a time (so only one window is in memory).
 */

/** One sample to ingest, before its image is loaded. */
export interface SampleRef {
  /** Stable sample id, unique within the dataset. */
  id: string;
  /** Class index into the plan's classes. */
  label: number;
  /** File the image comes from, named in errors and skip entries. */
  file: string;
}

/** The image of a sample, or why it could not be loaded (the message names the file). */
export type Loaded = { ref: SampleRef; image: Buffer } | { ref: SampleRef; error: Error };

/** A source ready to ingest. */
export interface SourcePlan {
  /** Class names by class index. */
  classes: string[];
  /** Where the data came from, copied into the manifest's `source`. */
  description: Record<string, string | number>;
  /** Samples in ascending sample-id order (code-point order), bad ones already reported. */
  samples: SampleRef[];
  /**
   * Loads the encoded, validated images of consecutive samples of `samples`, in order.
   * Callers pass windows in order, each starting where the previous ended.
   */
  load(refs: SampleRef[]): Promise<Loaded[]>;
}

/** Code-point order of sample ids (not locale order), so shards are the same on every machine. */
export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
