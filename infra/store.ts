/**
 * Object storage behind one small interface: S3 (MinIO or AWS) for everything shared between
 * workers, and a local directory for `--out DIR` outputs and tests of pure I/O code.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3Config } from './config.js';

/** Thrown when an object that must exist does not; callers branch on it (cache miss, bad input). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly key: string,
    readonly location: string,
    options?: { cause?: unknown },
  ) {
    super(`store: object ${location} does not exist`, options);
  }
}

export interface ObjectInfo {
  key: string;
  size: number;
}

/** Minimal object store used by every stage. Keys are '/'-separated and relative to the store root. */
export interface ObjectStore {
  /** Human-readable location of a key, e.g. `s3://crossfix/runs/x/summary.json`. */
  url(key: string): string;
  get(key: string): Promise<Buffer>;
  /** Returns the object's bytes, or undefined when it does not exist. */
  tryGet(key: string): Promise<Buffer | undefined>;
  put(key: string, body: Buffer | string, contentType?: string): Promise<void>;
  /** Size of the object, or undefined when it does not exist. */
  head(key: string): Promise<number | undefined>;
  /** All objects under a prefix, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deletes every object under a prefix. */
  deletePrefix(prefix: string): Promise<void>;
}

/** SHA-256 of bytes as lower-case hex. */
export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function getJson<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse((await store.get(key)).toString('utf8')) as T;
}

export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, JSON.stringify(value, null, 2) + '\n', 'application/json');
}

/**
 * Whether an error came from talking to the store (HTTP status from S3, a dropped or refused connection) rather
 * than from the data: those are worth retrying, so callers must not turn them into bad-input failures.
 */
export function isTransientStoreError(err: unknown): boolean {
  const e = err as { $metadata?: unknown; code?: string; name?: string };
  if (err instanceof NotFoundError) return false;
  return e?.$metadata !== undefined || ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'].includes(e?.code ?? '')
    || e?.name === 'TimeoutError';
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** Builds an S3 client from the configuration (static credentials or the AWS default chain). */
export function createS3Client(cfg: S3Config): S3Client {
  // the SDK warns at every start that releases after January 2027 need Node 22; the lockfile pins one that runs here
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: cfg.region,
    endpoint: cfg.endpoint,
    forcePathStyle: cfg.forcePathStyle,
    credentials: cfg.credentials,
  });
}

/** S3-backed store over one bucket and an optional key prefix. */
export class S3Store implements ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(cfg: S3Config, client?: S3Client) {
    this.client = client ?? createS3Client(cfg);
    this.bucket = cfg.bucket;
    this.prefix = cfg.prefix ? `${cfg.prefix}/` : '';
  }

  /** A store for the same bucket under a further prefix (e.g. the `analysis/` of one run). */
  static fromUrl(url: string, base: S3Config): S3Store {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
    if (!m) throw new Error(`store: ${JSON.stringify(url)} is not an s3:// URL`);
    return new S3Store({ ...base, bucket: m[1]!, prefix: (m[2] ?? '').replace(/\/+$/, '') });
  }

  url(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (!isMissing(err)) throw err;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError(key, this.url(key), { cause: err });
      throw err;
    }
  }

  async tryGet(key: string): Promise<Buffer | undefined> {
    try {
      return await this.get(key);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async put(key: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentType: contentType }),
    );
  }

  async head(key: string): Promise<number | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return out.ContentLength ?? 0;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) out.push({ key: o.Key!.slice(this.prefix.length), size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const objects = await this.list(prefix);
    for (let i = 0; i < objects.length; i += 1000) {
      const batch = objects.slice(i, i + 1000).map((o) => ({ Key: this.prefix + o.key }));
      const out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch } }));
      const failed = out.Errors?.[0];
      if (failed) throw new Error(`store: cannot delete ${this.url(failed.Key ?? '')} (${failed.Code}: ${failed.Message})`);
    }
  }
}

/** A directory on the local disk viewed as an object store (for `--out DIR` and tests). */
export class LocalStore implements ObjectStore {
  constructor(readonly root: string) {}

  url(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.url(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(key, this.url(key), { cause: err });
      throw err;
    }
  }

  async tryGet(key: string): Promise<Buffer | undefined> {
    try {
      return await this.get(key);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Writes through a temporary file and a rename, so readers never see half an object. */
  async put(key: string, body: Buffer | string): Promise<void> {
    const path = this.url(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  async head(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.url(key))).size;
    } catch {
      return undefined;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else out.push({ key: relative(this.root, p).split(sep).join('/'), size: (await stat(p)).size });
      }
    };
    await walk(this.root);
    return out.filter((o) => o.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const o of await this.list(prefix)) await rm(this.url(o.key), { force: true });
  }
}

/** Opens `s3://bucket/prefix` as an S3 store and anything else as a local directory. */
export function openStore(location: string, s3: S3Config): ObjectStore {
  return location.startsWith('s3://') ? S3Store.fromUrl(location, s3) : new LocalStore(location);
}
