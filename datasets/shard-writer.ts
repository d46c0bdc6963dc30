/**
 * Encodes dataset rows as one Parquet shard, in memory. Deterministic: the same rows give the
 * same bytes (no timestamps in the file; statistics are off for the image column, where min/max
 * would copy two whole images into the footer).
 */
import parquet from '@dsnp/parquetjs';
import { SHARD_SCHEMA_FIELDS } from '../lib/dataset.js';
import type { ShardRow } from '../lib/dataset.js';

const SCHEMA = new parquet.ParquetSchema({
  ...SHARD_SCHEMA_FIELDS,
  image: { ...SHARD_SCHEMA_FIELDS.image, statistics: false },
});

/**
 * Writes rows as one row group of uncompressed data pages (v1, readable by every Parquet reader:
 * DuckDB, pyarrow, Spark, hyparquet). Images are already compressed, so no codec is used.
 */
export async function encodeShard(rows: readonly ShardRow[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = {
    write: (chunk: Buffer, done: (err?: Error) => void) => (chunks.push(chunk), done(), true),
    end: (done: (err?: Error) => void) => done(),
  } as unknown as Parameters<typeof parquet.ParquetWriter.openStream>[1];
  const opts = { rowGroupSize: Math.max(rows.length, 1), useDataPageV2: false };
  const writer = await parquet.ParquetWriter.openStream(SCHEMA, sink, opts);
  for (const row of rows) await writer.appendRow({ ...row });
  await writer.close();
  return Buffer.concat(chunks);
}
