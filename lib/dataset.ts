/**
 * Dataset contract: `datasets/<name>/manifest.json` plus Parquet shards of encoded images.
 * Pure module: types, validation and key layout only.
 */

/** One shard of a dataset as listed in the manifest. */
export interface ShardEntry {
  /** Zero-based shard number; shards are listed in this order. */
  index: number;
  /** Object key relative to the store root, e.g. `datasets/fmnist/shards/shard-00000.parquet`. */
  key: string;
  /** Number of samples (rows) in the shard. */
  rows: number;
  /** SHA-256 of the shard object's bytes, lower-case hex. This is the shard digest. */
  sha256: string;
  /** Size of the shard object in bytes. */
  bytes: number;
}

export interface DatasetManifest {
  format: 'crossfix-dataset/1';
  name: string;
  /** Total number of samples over all shards. */
  samples: number;
  /** Class names by class index. */
  classes: string[];
  shards: ShardEntry[];
  /** Free-form description of where the data came from (kind, path, split). */
  source: Record<string, string | number>;
  /** Samples that were skipped at ingest, when the user asked for skipping (count only; list beside). */
  skipped?: number;
}

/** Columns of a dataset shard (Parquet). */
export interface ShardRow {
  /** Stable sample id, unique within the dataset (e.g. `test-00042` or `ILSVRC2012_val_00000001`). */
  sample_id: string;
  /** Integer class label, an index into `manifest.classes`. */
  label: number;
  /** Encoded image bytes (PNG, JPEG, …) exactly as ingested or encoded losslessly. */
  image: Buffer;
}

/** Parquet schema definition for dataset shards (parquetjs field spec). */
export const SHARD_SCHEMA_FIELDS = {
  sample_id: { type: 'UTF8' },
  label: { type: 'INT32' },
  image: { type: 'BYTE_ARRAY' },
} as const;

export const DATASET_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/;

export function datasetPrefix(name: string): string {
  return `datasets/${name}`;
}
export function manifestKey(name: string): string {
  return `${datasetPrefix(name)}/manifest.json`;
}
export function shardKey(name: string, index: number): string {
  return `${datasetPrefix(name)}/shards/shard-${String(index).padStart(5, '0')}.parquet`;
}
