/**
 * Encodes prediction rows as Parquet (schema: lib/predictions.ts) and decodes them back.
 * The bytes are a pure function of the rows: the same rows in the same order always give the
 * same file, which is what lets a retried or repeated activity overwrite its output harmlessly.
 */
import type { WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import parquet from '@dsnp/parquetjs';
import { PREDICTION_SCHEMA_FIELDS } from '../lib/predictions.js';
import type { PredictionRow, PredictionStatus } from '../lib/predictions.js';

/** Rows per Parquet row group; a shard's predictions normally fit in one. */
const ROW_GROUP_SIZE = 10_000;

/** Thrown when prediction bytes cannot be decoded; the message names the object. */
export class PredictionsFormatError extends Error {
  override name = 'PredictionsFormatError';
}

/** Encodes rows, in the given order, as one Parquet file; deterministic bytes for the same rows. */
export async function encodePredictions(rows: readonly PredictionRow[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  const schema = new parquet.ParquetSchema(PREDICTION_SCHEMA_FIELDS as never);
  const stream = sink as unknown as WriteStream;
  const writer = await parquet.ParquetWriter.openStream(schema, stream, { rowGroupSize: ROW_GROUP_SIZE });
  for (const row of rows) await writer.appendRow({ ...row });
  await writer.close();
  return Buffer.concat(chunks);
}

/**
 * Decodes a predictions Parquet file into rows, in file order.
 * @param key object key named in error messages @default 'predictions'
 */
export async function readPredictions(bytes: Buffer, key = 'predictions'): Promise<PredictionRow[]> {
  let reader;
  try {
    reader = await parquet.ParquetReader.openBuffer(bytes);
  } catch (err) {
    throw new PredictionsFormatError(`predictions: ${key} is not a readable Parquet file (${String(err)})`, {
      cause: err,
    });
  }
  const rows: PredictionRow[] = [];
  try {
    const cursor = reader.getCursor();
    for (let r = await cursor.next(); r; r = await cursor.next()) rows.push(toPredictionRow(r as RawRow));
  } finally {
    await reader.close();
  }
  return rows;
}

/** Number of rows in a predictions file, read from its footer only. */
export async function countPredictions(bytes: Buffer): Promise<number> {
  const reader = await parquet.ParquetReader.openBuffer(bytes);
  try {
    return Number(reader.getRowCount());
  } finally {
    await reader.close();
  }
}

type RawRow = Omit<PredictionRow, 'topk_ids' | 'topk_probs'> & { topk_ids?: number[]; topk_probs?: number[] };

/** parquetjs leaves an empty repeated field out of the record; the contract says empty array. */
function toPredictionRow(r: RawRow): PredictionRow {
  return {
    sample_id: r.sample_id,
    label: r.label,
    top1: r.top1,
    correct: r.correct,
    topk_ids: r.topk_ids ?? [],
    topk_probs: r.topk_probs ?? [],
    status: r.status as PredictionStatus,
  };
}
