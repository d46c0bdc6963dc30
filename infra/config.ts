/**
 * Endpoints and credentials, from environment variables (CLI flags override them).
 * Nothing here assumes one host: the same settings point at a local dev stack, a Temporal
 * cluster or Temporal Cloud, and MinIO or AWS S3.
 */

export interface TemporalConfig {
  /** host:port of the Temporal frontend. @default '127.0.0.1:7233' (CROSSFIX_TEMPORAL_ADDRESS) */
  address: string;
  /** @default 'default' (CROSSFIX_TEMPORAL_NAMESPACE) */
  namespace: string;
  /** Use TLS; implied by an API key or client certificate. @default false (CROSSFIX_TEMPORAL_TLS=1) */
  tls: boolean;
  /** Temporal Cloud API key. (CROSSFIX_TEMPORAL_API_KEY) */
  apiKey?: string;
  /** mTLS client certificate and key paths. (CROSSFIX_TEMPORAL_TLS_CERT, CROSSFIX_TEMPORAL_TLS_KEY) */
  tlsCertPath?: string;
  tlsKeyPath?: string;
}

export interface S3Config {
  /** S3 API endpoint; unset means AWS's regional endpoint. @default 'http://127.0.0.1:9000' (CROSSFIX_S3_ENDPOINT; '' for AWS) */
  endpoint?: string;
  /** @default 'us-east-1' (CROSSFIX_S3_REGION or AWS_REGION) */
  region: string;
  /** Bucket holding datasets, models, runs and caches. @default 'crossfix' (CROSSFIX_S3_BUCKET) */
  bucket: string;
  /** Optional key prefix inside the bucket. @default '' (CROSSFIX_S3_PREFIX) */
  prefix: string;
  /** Path-style addressing (needed by MinIO). @default true when an endpoint is set (CROSSFIX_S3_PATH_STYLE) */
  forcePathStyle: boolean;
  /**
   * Static credentials; when absent the AWS default credential chain applies (env, profile, IMDS…).
   * The local stack's MinIO uses CROSSFIX_S3_ACCESS_KEY / CROSSFIX_S3_SECRET_KEY, default minioadmin.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface Config {
  temporal: TemporalConfig;
  /** Temporal Web UI base URL, for links the CLI prints. @default 'http://127.0.0.1:8233' (CROSSFIX_TEMPORAL_UI) */
  temporalUi: string;
  s3: S3Config;
  /** Task queue of inference workers. @default 'crossfix-inference' (CROSSFIX_INFERENCE_QUEUE) */
  inferenceQueue: string;
  /** Task queue of analysis (CPU) workers and workflows. @default 'crossfix-analysis' (CROSSFIX_ANALYSIS_QUEUE) */
  analysisQueue: string;
}

export const LOCAL_S3_ENDPOINT = 'http://127.0.0.1:9000';
export const LOCAL_TEMPORAL_ADDRESS = '127.0.0.1:7233';

function flag(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return /^(1|true|yes|on)$/i.test(v);
}

/** Reads the configuration from an environment (process.env by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const endpoint = env.CROSSFIX_S3_ENDPOINT ?? LOCAL_S3_ENDPOINT;
  const accessKeyId = env.CROSSFIX_S3_ACCESS_KEY ?? (endpoint === LOCAL_S3_ENDPOINT ? 'minioadmin' : undefined);
  const secretAccessKey = env.CROSSFIX_S3_SECRET_KEY ?? (endpoint === LOCAL_S3_ENDPOINT ? 'minioadmin' : undefined);
  const apiKey = env.CROSSFIX_TEMPORAL_API_KEY || undefined;
  const tlsCertPath = env.CROSSFIX_TEMPORAL_TLS_CERT || undefined;
  return {
    temporal: {
      address: env.CROSSFIX_TEMPORAL_ADDRESS ?? LOCAL_TEMPORAL_ADDRESS,
      namespace: env.CROSSFIX_TEMPORAL_NAMESPACE ?? 'default',
      tls: flag(env.CROSSFIX_TEMPORAL_TLS) ?? (apiKey !== undefined || tlsCertPath !== undefined),
      apiKey,
      tlsCertPath,
      tlsKeyPath: env.CROSSFIX_TEMPORAL_TLS_KEY || undefined,
    },
    s3: {
      endpoint: endpoint === '' ? undefined : endpoint,
      region: env.CROSSFIX_S3_REGION ?? env.AWS_REGION ?? 'us-east-1',
      bucket: env.CROSSFIX_S3_BUCKET ?? 'crossfix',
      prefix: (env.CROSSFIX_S3_PREFIX ?? '').replace(/^\/+|\/+$/g, ''),
      forcePathStyle: flag(env.CROSSFIX_S3_PATH_STYLE) ?? endpoint !== '',
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    },
    temporalUi: (env.CROSSFIX_TEMPORAL_UI ?? 'http://127.0.0.1:8233').replace(/\/+$/, ''),
    inferenceQueue: env.CROSSFIX_INFERENCE_QUEUE ?? 'crossfix-inference',
    analysisQueue: env.CROSSFIX_ANALYSIS_QUEUE ?? 'crossfix-analysis',
  };
}
