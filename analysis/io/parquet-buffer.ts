/**
 * Writes rows to Parquet bytes in memory with @dsnp/parquetjs, so callers can `store.put` them to a
 * local directory or S3 alike. No timestamps go into the file: equal rows give equal bytes.
 */
import type { WriteStream } from 'node:fs';
import parquet from '@dsnp/parquetjs';
import type { SchemaDefinition } from '@dsnp/parquetjs/dist/lib/declare.js';

/** Options of `writeParquetBuffer`. */
export interface ParquetBufferOptions {
  /** Rows per row group. @default 65_536 */
  rowGroupSize?: number;
}

/** Encodes `rows` with the parquetjs field spec `fields` and returns the file's bytes. */
export async function writeParquetBuffer(
  fields: SchemaDefinition,
  rows: Iterable<object>,
  options: ParquetBufferOptions = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = {
    write(chunk: Buffer, callback: (err?: Error | null) => void) {
      chunks.push(Buffer.from(chunk));
      callback();
      return true;
    },
    end(callback: (err?: Error | null) => void) {
      callback();
      return this;
    },
  } as unknown as Pick<WriteStream, 'write' | 'end'>;
  const writer = await parquet.ParquetWriter.openStream(new parquet.ParquetSchema(fields), sink, {
    rowGroupSize: options.rowGroupSize ?? 65_536,
  });
  for (const row of rows) await writer.appendRow(row as Record<string, unknown>);
  await writer.close();
  return Buffer.concat(chunks);
}
