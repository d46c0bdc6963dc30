/**
 * Connections to Temporal from the configuration: plain for the local dev server, TLS with an API key or a
 * client certificate for Temporal Cloud or a secured cluster.
 */
import { readFile } from 'node:fs/promises';
import type { TemporalConfig } from './config.js';

interface TlsSettings {
  tls?: boolean | { clientCertPair: { crt: Buffer; key: Buffer } };
  apiKey?: string;
}

async function tlsSettings(cfg: TemporalConfig): Promise<TlsSettings> {
  if (!cfg.tlsCertPath !== !cfg.tlsKeyPath) {
    throw new Error('temporal: mTLS needs both a client certificate and its key ' +
      `(got cert ${JSON.stringify(cfg.tlsCertPath ?? null)}, key ${JSON.stringify(cfg.tlsKeyPath ?? null)})`);
  }
  if (cfg.tlsCertPath && cfg.tlsKeyPath) {
    const [crt, key] = await Promise.all([readFile(cfg.tlsCertPath), readFile(cfg.tlsKeyPath)]);
    return { tls: { clientCertPair: { crt, key } }, apiKey: cfg.apiKey };
  }
  return { tls: cfg.tls || undefined, apiKey: cfg.apiKey };
}

/** A client connection (for starting, querying and describing workflows). */
export async function connectClient(cfg: TemporalConfig) {
  const { Client, Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: cfg.address, ...(await tlsSettings(cfg)) });
  return new Client({ connection, namespace: cfg.namespace });
}

/** A worker connection (native, used by Worker.create). */
export async function connectWorker(cfg: TemporalConfig) {
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect({ address: cfg.address, ...(await tlsSettings(cfg)) });
}
