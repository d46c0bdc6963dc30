/**
 * The model registry: `models/<name>/` holds model.json, the weight files it references,
 * crossfix-model.json (the card) and, written last, digest.json. A model without digest.json is
 * not registered (an upload that stopped half way). Models are loaded through crossfix's own
 * TF.js IO handler that reads the store, and cached per worker by digest.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { parseModelCard } from '../lib/model-card.js';
import type { ModelCard } from '../lib/model-card.js';
import { NotFoundError, getJson, isTransientStoreError, putJson, sha256 } from '../infra/store.js';
import type { ObjectStore } from '../infra/store.js';
import { currentBackend } from '../worker/backend.js';
import { modelPrefix } from './model-keys.js';

export const MODEL_JSON = 'model.json';
export const CARD_JSON = 'crossfix-model.json';
export const DIGEST_JSON = 'digest.json';

/** A TF.js classifier in either format. */
export type TfModel = GraphModel | LayersModel;

/** Thrown for a model that is missing, malformed or inconsistent with its card; bad input, not worth retrying. */
export class ModelStoreError extends Error {
  override name = 'ModelStoreError';
}

/** Contents of `models/<name>/digest.json`. */
export interface ModelDigestFile {
  format: 'crossfix-model-digest/1';
  name: string;
  /** sha256 over the files' sha256 and path, in canonical order (see modelDigest). */
  digest: string;
  /** model.json, the weight files in manifest order, then crossfix-model.json. */
  files: { path: string; bytes: number; sha256: string }[];
}

export interface AddModelOptions {
  /** Registry name; overrides the card's name. @default the card's name */
  name?: string;
  /** Overwrite a registered model of the same name whose digest differs. @default false */
  replace?: boolean;
}

export interface AddModelResult {
  name: string;
  digest: string;
  /** Store location of the model's folder. */
  location: string;
  /** Bytes uploaded (0 when unchanged). */
  bytes: number;
  /** True when the same model (same digest) was already registered; nothing was uploaded. */
  unchanged: boolean;
}

export interface LoadedModel {
  card: ModelCard;
  digest: string;
  model: TfModel;
}

export interface ModelListing {
  name: string;
  digest: string;
  card: ModelCard;
  /** Total size of the model's files. */
  bytes: number;
}

/** One file of a model, with its bytes. */
interface ModelFile {
  path: string;
  bytes: Buffer;
}

/**
 * The model digest: sha256 over lines `<sha256>  <path>\n` of model.json, the weights in manifest
 * order and crossfix-model.json. Pure; equal digests mean byte-identical models and cards.
 */
export function modelDigest(files: readonly { path: string; sha256: string }[]): string {
  return sha256(files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
}

// ---------------------------------------------------------------------------------------------
// models add

/**
 * Registers the TF.js model in a local folder (model.json, weights, crossfix-model.json) after
 * checking the card against the model itself; uploads digest.json last.
 */
export async function addModel(store: ObjectStore, dir: string, opts: AddModelOptions = {}): Promise<AddModelResult> {
  const { modelJson, weights, card } = await readModelDir(dir, opts.name);
  const handler = artifactsHandler(modelJson, weights);
  await currentBackend();
  const model = await loadTfModel(handler, card, `models add: ${join(dir, MODEL_JSON)}`);
  try {
    checkModelAgainstCard(model, card);
  } finally {
    model.dispose();
  }
  const files: ModelFile[] = [
    { path: MODEL_JSON, bytes: modelJson.bytes },
    ...weights,
    { path: CARD_JSON, bytes: Buffer.from(JSON.stringify(card, null, 2) + '\n') },
  ];
  return uploadModel(store, card.name, files, opts.replace ?? false);
}

interface ParsedModelJson {
  bytes: Buffer;
  json: tf.io.ModelJSON;
}

/** Reads model.json, every weight file it references and the card from a local folder. */
async function readModelDir(dir: string, name?: string) {
  const modelJson = parseModelJson(await readLocal(dir, MODEL_JSON), join(dir, MODEL_JSON));
  const weights: ModelFile[] = [];
  for (const path of weightPaths(modelJson.json, 'models add')) {
    weights.push({ path, bytes: await readLocal(dir, path) });
  }
  const cardPath = join(dir, CARD_JSON);
  const rawCard = parseJson(await readLocal(dir, CARD_JSON), cardPath) as Record<string, unknown>;
  const card = parseModelCard(name === undefined ? rawCard : { ...rawCard, name }, `models add: ${cardPath}`);
  const format = modelJsonFormat(modelJson.json);
  if (format !== card.modelFormat) {
    throw new ModelStoreError(`models add: ${join(dir, MODEL_JSON)} is a ${format} model, card says ${card.modelFormat}`);
  }
  return { modelJson, weights, card };
}

async function readLocal(dir: string, path: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, path));
  } catch (err) {
    throw new ModelStoreError(`models add: cannot read ${join(dir, path)} (${(err as Error).message})`, { cause: err });
  }
}

function parseJson(bytes: Buffer, where: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ModelStoreError(`models: ${where} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

function parseModelJson(bytes: Buffer, where: string): ParsedModelJson {
  const json = parseJson(bytes, where) as tf.io.ModelJSON;
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object') {
    throw new ModelStoreError(`models: ${where} has no modelTopology`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new ModelStoreError(`models: ${where} has no weightsManifest`);
  return { bytes, json };
}

/** 'graph' or 'layers', from the format field or, for older files, the topology's shape. */
function modelJsonFormat(json: tf.io.ModelJSON): 'graph' | 'layers' {
  if (json.format === 'graph-model') return 'graph';
  if (json.format === 'layers-model') return 'layers';
  return 'node' in (json.modelTopology as object) ? 'graph' : 'layers';
}

const SAFE_PATH_RE = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Weight file paths in manifest order; each must be a plain relative path inside the model folder. */
function weightPaths(json: tf.io.ModelJSON, component: string): string[] {
  const paths = json.weightsManifest.flatMap((group) => group.paths);
  for (const p of paths) {
    if (!SAFE_PATH_RE.test(p) || p === MODEL_JSON || p === CARD_JSON || p === DIGEST_JSON) {
      throw new ModelStoreError(`${component}: model.json references weight file ${JSON.stringify(p)}, expected a relative path inside the model folder`);
    }
  }
  return paths;
}

/** Checks the model's single NHWC/NCHW input and its class count against the card. */
function checkModelAgainstCard(model: TfModel, card: ModelCard): void {
  const inputs = model.inputs;
  if (inputs.length !== 1) {
    throw new ModelStoreError(`models add: model.json has ${inputs.length} inputs, crossfix needs 1`);
  }
  const shape = inputs[0]!.shape ?? [];
  const { height: h, width: w, channels: c, layout } = card.input;
  const expected = layout === 'NHWC' ? [h, w, c] : [c, h, w];
  const fits = shape.length === 4 && expected.every((d, i) => isWildcard(shape[i + 1]) || shape[i + 1] === d);
  if (!fits) {
    const says = layout === 'NHWC' ? `${h}×${w}×${c}` : `${c}×${h}×${w} (NCHW)`;
    throw new ModelStoreError(`models add: model.json input is ${JSON.stringify(shape)}, card says ${says}`);
  }
  const outShape = dryRunOutputShape(model, [1, ...expected]);
  if (outShape.length !== 2) {
    throw new ModelStoreError(`models add: model.json output is ${JSON.stringify(outShape)}, expected [batch, classes]`);
  }
  if (outShape[1] !== card.numClasses) {
    throw new ModelStoreError(`models add: model.json output has ${outShape[1]} classes, card says numClasses ${card.numClasses}`);
  }
}

function isWildcard(d: number | null | undefined): boolean {
  return d === null || d === undefined || d < 0;
}

/** Runs the model once on zeros and returns its output shape (also proves the graph executes). */
function dryRunOutputShape(model: TfModel, inputShape: number[]): number[] {
  return tf.tidy(() => {
    const out = runModel(model, tf.zeros(inputShape));
    return out.shape;
  });
}

/** Runs a model on one batch and returns its single output; throws for multi-output models. */
export function runModel(model: TfModel, batch: tf.Tensor): tf.Tensor {
  const out = model.predict(batch);
  if (out instanceof tf.Tensor) return out;
  const count = Array.isArray(out) ? out.length : Object.keys(out).length;
  throw new ModelStoreError(`models: model has ${count} outputs, crossfix needs 1`);
}

/** Uploads the files, then digest.json last; handles an existing registration. */
async function uploadModel(
  store: ObjectStore, name: string, files: ModelFile[], replace: boolean,
): Promise<AddModelResult> {
  const prefix = modelPrefix(name);
  const entries = files.map((f) => ({ path: f.path, bytes: f.bytes.length, sha256: sha256(f.bytes) }));
  const digest = modelDigest(entries);
  const digestFile: ModelDigestFile = { format: 'crossfix-model-digest/1', name, digest, files: entries };
  const result = { name, digest: digestFile.digest, location: store.url(`${prefix}/`), bytes: 0, unchanged: false };

  const existing = await store.tryGet(`${prefix}/${DIGEST_JSON}`);
  if (existing) {
    const old = parseJson(existing, `${prefix}/${DIGEST_JSON}`) as Partial<ModelDigestFile>;
    if (old.digest === digestFile.digest) return { ...result, unchanged: true };
    if (!replace) {
      throw new ModelStoreError(`models add: model ${name} already exists with digest ${old.digest}, pass replace to overwrite`);
    }
  }
  await store.deletePrefix(`${prefix}/`);
  for (const f of files) await store.put(`${prefix}/${f.path}`, f.bytes);
  await putJson(store, `${prefix}/${DIGEST_JSON}`, digestFile);
  return { ...result, bytes: entries.reduce((n, e) => n + e.bytes, 0) };
}

// ---------------------------------------------------------------------------------------------
// loading

/** A model loaded by this worker: shared by concurrent activities, disposed once evicted and unused. */
interface CacheEntry {
  loading: Promise<LoadedModel>;
  users: number;
  lastUsed: number;
}

/** Models loaded by this worker, by digest. */
const cache = new Map<string, CacheEntry>();
let useClock = 0;

/** Models kept loaded per worker while unused. @default 4 (CROSSFIX_MODEL_CACHE) */
export function modelCacheSize(): number {
  const n = Number(process.env.CROSSFIX_MODEL_CACHE ?? 4);
  return Number.isInteger(n) && n > 0 ? n : 4;
}

function entryFor(store: ObjectStore, digestFile: ModelDigestFile): CacheEntry {
  let entry = cache.get(digestFile.digest);
  if (!entry) {
    const loading = loadVerified(store, digestFile);
    entry = { loading, users: 0, lastUsed: 0 };
    cache.set(digestFile.digest, entry);
    loading.catch(() => cache.delete(digestFile.digest));
  }
  entry.lastUsed = ++useClock;
  return entry;
}

/** Disposes the least recently used models nobody is using until at most modelCacheSize() remain. */
function evict(): void {
  const idle = [...cache.entries()].filter(([, e]) => e.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
  for (const [digest, entry] of idle.slice(0, Math.max(0, cache.size - modelCacheSize()))) {
    cache.delete(digest);
    entry.loading.then((m) => m.model.dispose(), () => undefined);
  }
}

/**
 * Loads a registered model (card, digest and TF.js model), once per worker: later calls for the
 * same digest share the first load. Every file is checked against digest.json. The model stays
 * cached, but may be disposed once evicted: hold it with acquireModel while it runs.
 */
export async function loadModel(store: ObjectStore, name: string): Promise<LoadedModel> {
  return entryFor(store, await readDigestFile(store, name)).loading;
}

/** Like loadModel, but the model cannot be evicted until `release` is called. */
export async function acquireModel(store: ObjectStore, name: string): Promise<{ loaded: LoadedModel; release(): void }> {
  const entry = entryFor(store, await readDigestFile(store, name));
  entry.users += 1;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    entry.users -= 1;
    evict();
  };
  try {
    return { loaded: await entry.loading, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** Disposes every cached model (tests, worker shutdown). */
export async function clearModelCache(): Promise<void> {
  const loaded = await Promise.allSettled([...cache.values()].map((e) => e.loading));
  cache.clear();
  for (const r of loaded) if (r.status === 'fulfilled') r.value.model.dispose();
}

/** Reads `models/<name>/digest.json`; a missing one means the model is not registered. */
export async function readDigestFile(store: ObjectStore, name: string): Promise<ModelDigestFile> {
  const key = `${modelPrefix(name)}/${DIGEST_JSON}`;
  try {
    return parseJson(await store.get(key), key) as ModelDigestFile;
  } catch (err) {
    if (err instanceof NotFoundError) throw new ModelStoreError(`models: model ${name} is not registered (${store.url(key)} does not exist)`, { cause: err });
    throw err;
  }
}

async function loadVerified(store: ObjectStore, digestFile: ModelDigestFile): Promise<LoadedModel> {
  const prefix = modelPrefix(digestFile.name);
  if (modelDigest(digestFile.files) !== digestFile.digest) {
    throw new ModelStoreError(`models: ${prefix}/${DIGEST_JSON} lists files whose digest is ${modelDigest(digestFile.files)}, it says ${digestFile.digest}`);
  }
  const cardBytes = await getVerified(store, prefix, digestFile, CARD_JSON);
  const card = parseModelCard(parseJson(cardBytes, `${prefix}/${CARD_JSON}`), `models: ${prefix}/${CARD_JSON}`);
  await currentBackend();
  const model = await loadTfModel(storeIOHandler(store, digestFile.name, digestFile), card, `models: ${prefix}`);
  return { card, digest: digestFile.digest, model };
}

/** Fetches one file of a model and checks its sha256 against digest.json when one is given. */
async function getVerified(
  store: ObjectStore, prefix: string, digestFile: ModelDigestFile | undefined, path: string,
): Promise<Buffer> {
  const bytes = await store.get(`${prefix}/${path}`);
  if (!digestFile) return bytes;
  const entry = digestFile.files.find((f) => f.path === path);
  const actual = sha256(bytes);
  if (!entry || entry.sha256 !== actual) {
    const says = entry ? `digest.json says ${entry.sha256}` : 'digest.json does not list it';
    throw new ModelStoreError(`models: ${prefix}/${path} has sha256 ${actual}, ${says}`);
  }
  return bytes;
}

async function loadTfModel(handler: tf.io.IOHandler, card: ModelCard, where: string): Promise<TfModel> {
  try {
    return card.modelFormat === 'graph' ? await loadGraphModel(handler) : await loadLayersModel(handler);
  } catch (err) {
    if (err instanceof ModelStoreError || isTransientStoreError(err)) throw err;
    throw new ModelStoreError(`${where}: TF.js cannot load the ${card.modelFormat} model (${(err as Error).message})`, { cause: err });
  }
}

/**
 * A TF.js IO handler whose load() reads `models/<name>/` from the store: model.json, then the
 * weight files it references, concatenated in manifest order. Files are checked against
 * digestFile when one is given. Works with tf.loadGraphModel and tf.loadLayersModel.
 */
export function storeIOHandler(store: ObjectStore, name: string, digestFile?: ModelDigestFile): tf.io.IOHandler {
  const prefix = modelPrefix(name);
  return {
    load: async () => {
      const fetch = (path: string) => getVerified(store, prefix, digestFile, path);
      const modelJson = parseModelJson(await fetch(MODEL_JSON), `${prefix}/${MODEL_JSON}`);
      const paths = weightPaths(modelJson.json, 'models');
      const weights = await Promise.all(paths.map(async (path) => ({ path, bytes: await fetch(path) })));
      return artifactsFor(modelJson.json, weights);
    },
  };
}

/** An IO handler over files already in memory. */
function artifactsHandler(modelJson: ParsedModelJson, weights: ModelFile[]): tf.io.IOHandler {
  return { load: async () => artifactsFor(modelJson.json, weights) };
}

async function artifactsFor(json: tf.io.ModelJSON, weights: ModelFile[]): Promise<tf.io.ModelArtifacts> {
  const all = Buffer.concat(weights.map((w) => w.bytes));
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => [tf.io.getWeightSpecs(manifest), weightData]);
}

// ---------------------------------------------------------------------------------------------
// listing

/** Every registered model (those with a digest.json), sorted by name. */
export async function listModels(store: ObjectStore): Promise<ModelListing[]> {
  const objects = await store.list('models/');
  const names = objects
    .map((o) => /^models\/([^/]+)\/digest\.json$/.exec(o.key)?.[1])
    .filter((n): n is string => n !== undefined);
  return Promise.all(
    names.map(async (name) => {
      const digestFile = await readDigestFile(store, name);
      const card = parseModelCard(await getJson(store, `${modelPrefix(name)}/${CARD_JSON}`), `models: ${name}`);
      return { name, digest: digestFile.digest, card, bytes: digestFile.files.reduce((n, f) => n + f.bytes, 0) };
    }),
  );
}
