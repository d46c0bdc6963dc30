/**
 * Reads what ingest wrote: the dataset manifest (validated) and the rows of one Parquet shard.
 * The inference stage uses these; they do no logging.
 *
 * Reader choice, measured on this 2-core machine (warm, per 1,000-row shard): a 110 MB shard of
 * 110 kB images takes @dsnp/parquetjs `openBuffer` ~1–2 ms (its values are slices of the input)
 * and hyparquet ~300–400 ms (it copies every value); a Fashion-MNIST shard (~550 B PNGs) takes
 * ~2 ms and ~1 ms. ImageNet-sized images decide it: parquetjs reads rows, and hyparquet only
 * parses the footer in `verifyShard`. Row images share memory with the shard buffer.
 */
import parquet from '@dsnp/parquetjs';
import { parquetMetadata } from 'hyparquet';
import { DATASET_NAME_RE, manifestKey, shardKey } from '../lib/dataset.js';
import type { DatasetManifest, ShardEntry, ShardRow } from '../lib/dataset.js';
import { NotFoundError, sha256 } from '../infra/store.js';
import type { ObjectStore } from '../infra/store.js';

const FORMAT = 'crossfix-dataset/1';
const SHA256_RE = /^[0-9a-f]{64}$/;

/** Thrown for a missing, malformed or inconsistent manifest or shard; bad input, not worth retrying. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/**
 * Decodes a dataset shard into rows, in file order.
 * @param bytes the shard object's bytes
 * @param key object key named in error messages @default none
 */
export async function readShard(bytes: Buffer, key?: string): Promise<ShardRow[]> {
  const what = key === undefined ? 'shard' : `shard ${key}`;
  let reader;
  try {
    reader = await parquet.ParquetReader.openBuffer(bytes);
  } catch (err) {
    throw new DatasetError(`dataset: ${what} is not a readable Parquet file (${errText(err)})`, { cause: err });
  }
  const rows: ShardRow[] = [];
  try {
    const cursor = reader.getCursor();
    for (let row = await cursor.next(); row; row = await cursor.next()) rows.push(toShardRow(row, what, rows.length));
  } finally {
    await reader.close();
  }
  return rows;
}

function toShardRow(row: unknown, what: string, index: number): ShardRow {
  const r = row as Partial<ShardRow>;
  if (typeof r.sample_id !== 'string' || !Number.isInteger(r.label) || !Buffer.isBuffer(r.image)) {
    throw new DatasetError(`dataset: ${what} row ${index} lacks sample_id (UTF8), label (INT32) or image (BYTE_ARRAY)`);
  }
  return { sample_id: r.sample_id, label: r.label!, image: r.image };
}

/** Loads `datasets/<name>/manifest.json` and checks its shape and internal consistency. */
export async function loadManifest(store: ObjectStore, name: string): Promise<DatasetManifest> {
  const key = manifestKey(name);
  let bytes: Buffer;
  try {
    bytes = await store.get(key);
  } catch (err) {
    if (err instanceof NotFoundError) throw new DatasetError(`dataset: manifest ${key} does not exist`, { cause: err });
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new DatasetError(`dataset: manifest ${key} is not valid JSON (${errText(err)})`, { cause: err });
  }
  return validateManifest(value, name);
}

/**
 * Checks that a parsed manifest is a well-formed dataset manifest for `name`; returns it typed.
 * Pure: throws DatasetError naming the manifest key, the field and the value.
 */
export function validateManifest(value: unknown, name: string): DatasetManifest {
  const key = manifestKey(name);
  const fail = (what: string): never => {
    throw new DatasetError(`dataset: manifest ${key} ${what}`);
  };
  const m = value as Partial<DatasetManifest> | null;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return fail('is not a JSON object');
  if (m.format !== FORMAT) fail(`has format ${JSON.stringify(m.format)}, expected "${FORMAT}"`);
  if (m.name !== name) fail(`has name ${JSON.stringify(m.name)}, expected "${name}"`);
  if (!Array.isArray(m.classes) || m.classes.length === 0 || !m.classes.every((c) => typeof c === 'string')) {
    fail('has no list of class names');
  }
  if (!Array.isArray(m.shards)) return fail('has no list of shards');
  m.shards.forEach((s, i) => checkShardEntry(s, i, name, fail));
  const total = m.shards.reduce((n, s) => n + s.rows, 0);
  if (m.samples !== total) fail(`says ${String(m.samples)} samples, its shards hold ${total}`);
  if (m.skipped !== undefined && !isCount(m.skipped)) fail(`has skipped ${JSON.stringify(m.skipped)}`);
  return m as DatasetManifest;
}

function checkShardEntry(s: ShardEntry, i: number, name: string, fail: (what: string) => never): void {
  const at = `shards[${i}]`;
  if (typeof s !== 'object' || s === null) fail(`${at} is not an object`);
  if (s.index !== i) fail(`${at} has index ${JSON.stringify(s.index)}, expected ${i}`);
  if (s.key !== shardKey(name, i)) fail(`${at} has key ${JSON.stringify(s.key)}, expected "${shardKey(name, i)}"`);
  if (!isCount(s.rows) || s.rows === 0) fail(`${at} has rows ${JSON.stringify(s.rows)}`);
  if (!isCount(s.bytes)) fail(`${at} has bytes ${JSON.stringify(s.bytes)}`);
  if (typeof s.sha256 !== 'string' || !SHA256_RE.test(s.sha256)) fail(`${at} has sha256 ${JSON.stringify(s.sha256)}`);
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/**
 * Checks shard bytes against their manifest entry: size, SHA-256, then the row count in the
 * Parquet footer. Throws DatasetError naming the shard key and both values.
 */
export function verifyShard(bytes: Buffer, entry: ShardEntry): void {
  const fail = (what: string): never => {
    throw new DatasetError(`dataset: shard ${entry.key} ${what}`);
  };
  if (bytes.length !== entry.bytes) fail(`has ${bytes.length} bytes, manifest says ${entry.bytes}`);
  const digest = sha256(bytes);
  if (digest !== entry.sha256) fail(`has sha256 ${digest}, manifest says ${entry.sha256}`);
  let rows: number;
  try {
    rows = Number(parquetMetadata(bytes).num_rows);
  } catch (err) {
    return fail(`is not a readable Parquet file (${errText(err)})`);
  }
  if (rows !== entry.rows) fail(`has ${rows} rows, manifest says ${entry.rows}`);
}

/** True when `name` is a valid dataset name (lower-case letters, digits, `.`, `_`, `-`). */
export function isDatasetName(name: string): boolean {
  return DATASET_NAME_RE.test(name);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
