/**
 * Predictions contract: one Parquet row per (model, sample), Hive-partitioned by model and shard:
 * `runs/<run>/predictions/model=<m>/shard=<n>.parquet`. Read a whole run in DuckDB with
 * `read_parquet('…/predictions/*\/*.parquet', hive_partitioning = true)`.
 * Pure module: schema and key layout only.
 */

/** Status of one sample's inference. */
export type PredictionStatus = 'ok' | 'corrupt';

export interface PredictionRow {
  /** Stable sample id from the dataset shard. */
  sample_id: string;
  /** Ground-truth class index (dataset classes). */
  label: number;
  /** Predicted class index (dataset classes); -1 when status is 'corrupt'. */
  top1: number;
  /** Whether top1 equals label; false for corrupt images. */
  correct: boolean;
  /** Top-k class indices (dataset classes), most probable first; empty for corrupt images. */
  topk_ids: number[];
  /** Softmax probabilities matching topk_ids. */
  topk_probs: number[];
  /** 'ok', or 'corrupt' when the image could not be decoded. */
  status: PredictionStatus;
}

/** Parquet schema definition for prediction files (parquetjs field spec). */
export const PREDICTION_SCHEMA_FIELDS = {
  sample_id: { type: 'UTF8' },
  label: { type: 'INT32' },
  top1: { type: 'INT32' },
  correct: { type: 'BOOLEAN' },
  topk_ids: { type: 'INT32', repeated: true },
  topk_probs: { type: 'FLOAT', repeated: true },
  status: { type: 'UTF8' },
} as const;

/** Number of classes kept per row. @default 5 */
export const DEFAULT_TOP_K = 5;

export function runPrefix(runId: string): string {
  return `runs/${runId}`;
}
export function predictionsPrefix(runId: string): string {
  return `${runPrefix(runId)}/predictions`;
}
/** Key of one (model, shard) prediction file inside a run. */
export function predictionKey(runId: string, model: string, shard: number): string {
  return `${predictionsPrefix(runId)}/model=${model}/shard=${String(shard).padStart(5, '0')}.parquet`;
}
/**
 * Key of the cross-run prediction cache entry: a pure function of model digest, shard digest and
 * top-k, so a study that adds one model infers only that model.
 */
export function cacheKey(modelDigest: string, shardDigest: string, topK: number): string {
  return `cache/predictions/${modelDigest}/${shardDigest}-k${topK}.parquet`;
}
export function analysisPrefix(runId: string): string {
  return `${runPrefix(runId)}/analysis`;
}
