/**
 * The model card: what crossfix needs to know about a TF.js classifier besides its graph.
 * Stored as `crossfix-model.json` beside `model.json`. Pure module: types and validation only.
 */

/** Resampling filter used by the eval transform (timm names). */
export type Interpolation = 'bicubic' | 'bilinear' | 'nearest' | 'box' | 'lanczos';

/** timm-style eval preprocessing: resize shorter side to size / cropFraction, centre crop, normalise. */
export interface Preprocessing {
  /** Resampling filter for the resize. @default 'bilinear' */
  interpolation: Interpolation;
  /** Fraction of the resized image kept by the centre crop (timm `crop_pct`). @default 1 */
  cropFraction: number;
  /** timm `crop_mode`; only 'center' is supported. @default 'center' */
  cropMode: 'center';
  /** Per-channel mean on the [0, 1] scale, in channel order. */
  mean: number[];
  /** Per-channel standard deviation on the [0, 1] scale, in channel order. */
  std: number[];
}

export interface ModelCard {
  format: 'crossfix-model/1';
  /** Registry name: lower-case letters, digits, '-', '_' and '.'. */
  name: string;
  /** Architecture family, e.g. 'resnet', 'vit'. */
  family: string;
  /** Where it came from, e.g. 'timm:resnet50.a1_in1k' or 'crossfix-zoo'. */
  source: string;
  /** Input tensor: height, width, channels and layout of the converted model. */
  input: { height: number; width: number; channels: number; layout: 'NHWC' | 'NCHW' };
  preprocessing: Preprocessing;
  /** Number of output classes. */
  numClasses: number;
  /**
   * Maps model output index → dataset class index. Absent means the identity
   * (output i is dataset class i).
   */
  classIndex?: number[];
  /** Optional class names by output index. */
  classNames?: string[];
  /** Whether the model's output is raw logits (softmax applied by crossfix) or probabilities. @default 'logits' */
  output: 'logits' | 'probabilities';
  /** TF.js format of model.json. */
  modelFormat: 'graph' | 'layers';
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** Thrown for a card that cannot be used; the message names the field and the value. */
export class ModelCardError extends Error {
  override name = 'ModelCardError';
}

/** Validates an unknown JSON value as a model card; returns it typed or throws ModelCardError. */
export function parseModelCard(value: unknown, where = 'model card'): ModelCard {
  const fail = (msg: string): never => {
    throw new ModelCardError(`${where}: ${msg}`);
  };
  if (typeof value !== 'object' || value === null) fail(`expected an object, got ${JSON.stringify(value)}`);
  const c = value as Partial<ModelCard>;
  if (c.format !== 'crossfix-model/1') fail(`format must be "crossfix-model/1", got ${JSON.stringify(c.format)}`);
  if (typeof c.name !== 'string' || !NAME_RE.test(c.name)) fail(`name ${JSON.stringify(c.name)} is not a valid model name`);
  const inp = c.input;
  if (!inp || ![inp.height, inp.width, inp.channels].every((n) => Number.isInteger(n) && n > 0)) {
    fail(`input must have positive integer height, width and channels, got ${JSON.stringify(inp)}`);
  }
  if (inp!.layout !== 'NHWC' && inp!.layout !== 'NCHW') fail(`input.layout must be NHWC or NCHW, got ${JSON.stringify(inp!.layout)}`);
  if (!Number.isInteger(c.numClasses) || c.numClasses! < 1) fail(`numClasses must be a positive integer, got ${JSON.stringify(c.numClasses)}`);
  const p = c.preprocessing;
  if (!p) fail('preprocessing is missing');
  for (const key of ['mean', 'std'] as const) {
    const v = p![key];
    if (!Array.isArray(v) || v.length !== inp!.channels || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(`preprocessing.${key} must hold one number per channel (${inp!.channels}), got ${JSON.stringify(v)}`);
    }
  }
  if (p!.std.some((s) => s <= 0)) fail(`preprocessing.std must be positive, got ${JSON.stringify(p!.std)}`);
  if (!(p!.cropFraction > 0 && p!.cropFraction <= 1)) fail(`preprocessing.cropFraction must be in (0, 1], got ${p!.cropFraction}`);
  if (c.classIndex !== undefined) {
    if (!Array.isArray(c.classIndex) || c.classIndex.length !== c.numClasses) {
      fail(`classIndex must hold numClasses (${c.numClasses}) entries, got ${Array.isArray(c.classIndex) ? c.classIndex.length : typeof c.classIndex}`);
    }
    const bad = c.classIndex.findIndex((x) => !Number.isInteger(x) || x < 0);
    if (bad >= 0) fail(`classIndex[${bad}] must be a non-negative integer, got ${JSON.stringify(c.classIndex[bad])}`);
  }
  if (c.modelFormat !== 'graph' && c.modelFormat !== 'layers') fail(`modelFormat must be graph or layers, got ${JSON.stringify(c.modelFormat)}`);
  return {
    output: 'logits',
    family: 'unknown',
    source: 'unknown',
    ...c,
    preprocessing: { interpolation: 'bilinear', cropMode: 'center', ...(p as Partial<Preprocessing>) },
  } as ModelCard;
}
