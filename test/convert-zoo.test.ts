import test from 'ava';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import onnxProto from 'onnx-proto';
import { checkParity, loadConverted, randomInput, type ParityInput } from '../conversion/check.js';
import { convertCommand, convertOnnx } from '../conversion/convert.js';
import { onnxFixtures, type OnnxFixture } from './convert-fixtures.js';

const ZOO = ['mlp', 'lenet', 'resnet-mini', 'mobilenet-mini', 'vit-mini', 'convnext-mini', 'densenet-mini'];
const OPS = ['ops-mix-opset13', 'ops-mix-opset17'];

let fixtures: Map<string, OnnxFixture>;
test.before(async () => {
  const all = [...(await onnxFixtures('zoo')), ...(await onnxFixtures('ops'))];
  fixtures = new Map(all.map((f) => [f.name, f]));
});

/** The first `n` Fashion-MNIST test images, normalised like the zoo's training. */
function fashionMnist(n: number): ParityInput {
  const raw = gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz')).subarray(16, 16 + n * 784);
  return { data: Float32Array.from(raw, (v) => (v / 255 - 0.286) / 0.353), shape: [n, 1, 28, 28] };
}

/** Op types of a converted fixture's graph, with counts. */
function opCounts(name: string): Record<string, number> {
  const bytes = new Uint8Array(readFileSync(fixtures.get(name)!.path));
  const nodes = convertOnnx(bytes).modelJson.modelTopology.node as { op: string }[];
  return nodes.reduce<Record<string, number>>((m, n) => ({ ...m, [n.op]: (m[n.op] ?? 0) + 1 }), {});
}

test('conv, bias and relu chains become fused ops and no separate BiasAdd or Relu remains', (t) => {
  const ops = opCounts('resnet-mini');
  t.is(ops['_FusedConv2D'], 9);
  t.is(ops['_FusedMatMul'], 1);
  t.deepEqual([ops['Conv2D'], ops['BiasAdd'], ops['MatMul']], [undefined, undefined, undefined]);
});

test('linear layers on token or pixel grids run as one 2-D MatMul fused with their bias', (t) => {
  const vit = opCounts('vit-mini');
  const convnext = opCounts('convnext-mini');
  t.deepEqual([convnext['_FusedMatMul'], convnext['BatchMatMulV2'], convnext['MatMul']], [5, undefined, undefined]);
  t.deepEqual([vit['_FusedMatMul'], vit['BatchMatMulV2'], vit['MatMul']], [9, 4, undefined]);
});

for (const name of [...ZOO, ...OPS]) {
  test(`${name} converts to a graph model within 1e-4 of onnxruntime with the same top-1`, async (t) => {
    const f = fixtures.get(name);
    if (!f) return t.fail(`fixture ${name} was not exported`);
    const bytes = new Uint8Array(readFileSync(f.path));
    const inputs = [randomInput([4, ...f.input], 11)];
    if (f.input[0] === 1) inputs.push(fashionMnist(8));
    const r = await checkParity(bytes, convertOnnx(bytes), inputs);
    t.log(`${name}: max |Δ| ${r.maxAbsDiff.toExponential(2)}, top-1 agreement ${r.top1Agreement} over ${r.n}`);
    t.true(r.maxAbsDiff <= 1e-4, `max |Δ| ${r.maxAbsDiff}`);
    t.is(r.top1Agreement, 1);
    t.is(r.n, inputs.length === 2 ? 12 : 4);
  });
}

/** A one-node ONNX model: input [N, 3, 8, 8] → op → output. */
function oneOpModel(op: string, nodeName: string, opset: number): Uint8Array {
  const { onnx } = onnxProto;
  const vi = (name: string) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }, { dimValue: 8 }, { dimValue: 8 }] } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'g', node: [{ name: nodeName, opType: op, input: ['x'], output: ['y'] }], input: [vi('x')], output: [vi('y')] },
  });
  return onnx.ModelProto.encode(model).finish();
}

test('an op crossfix cannot convert fails with one error naming the op, the node and the opset', (t) => {
  const err = t.throws(() => convertOnnx(oneOpModel('FooBar', '/layer1/Foo', 17)));
  t.is(err?.message, 'convert: node "/layer1/Foo" uses op FooBar (opset 17), which crossfix cannot convert');
});

test('an attribute crossfix cannot convert exactly fails instead of converting approximately', (t) => {
  const bytes = oneOpModel('Gelu', '/blocks.0/act/Gelu', 20);
  const { onnx } = onnxProto;
  const m = onnx.ModelProto.decode(bytes);
  m.graph!.node![0]!.attribute = [{ name: 'approximate', type: 3, s: new TextEncoder().encode('tanh') }];
  const err = t.throws(() => convertOnnx(onnx.ModelProto.encode(m).finish()));
  t.is(err?.message, 'convert: node "/blocks.0/act/Gelu" uses op Gelu (opset 20), which crossfix cannot convert (approximate=tanh)');
});

test('convertCommand writes model.json, weights and an NHWC graph card that TF.js loads from memory', async (t) => {
  const f = fixtures.get('lenet')!;
  const out = await mkdtemp(join(tmpdir(), 'crossfix-convert-'));
  const res = await convertCommand({ onnx: f.path, out, check: true, checkSamples: 4 });
  t.deepEqual(res.files, ['model.json', 'group1-shard1of1.bin', 'crossfix-model.json']);
  const card = JSON.parse(await readFile(join(out, 'crossfix-model.json'), 'utf8'));
  t.deepEqual(card.input, { height: 28, width: 28, channels: 1, layout: 'NHWC' });
  t.is(card.modelFormat, 'graph');
  t.is(card.numClasses, 10);
  t.is(card.name, 'lenet');
  t.true(res.parity!.maxAbsDiff <= 1e-4);
  const modelJson = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
  t.is(modelJson.format, 'graph-model');
  const weightData = new Uint8Array(await readFile(join(out, 'group1-shard1of1.bin')));
  const model = await loadConverted({ modelJson, weightData, shards: [] });
  t.deepEqual(model.inputs[0]!.shape, [-1, 28, 28, 1]);
  const y = model.execute(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
  t.deepEqual(y.shape, [2, 10]);
});

test('a given card keeps its preprocessing and gets the converted input and format', async (t) => {
  const f = fixtures.get('mlp')!;
  const dir = await mkdtemp(join(tmpdir(), 'crossfix-card-'));
  const cardPath = join(dir, 'card.json');
  const given = {
    format: 'crossfix-model/1', name: 'fmnist-mlp', family: 'mlp', source: 'crossfix-zoo', numClasses: 10,
    input: { height: 28, width: 28, channels: 1, layout: 'NCHW' }, output: 'logits', modelFormat: 'layers',
    preprocessing: { interpolation: 'bilinear', cropFraction: 1, cropMode: 'center', mean: [0.286], std: [0.353] },
  };
  await writeFile(cardPath, JSON.stringify(given));
  const res = await convertCommand({ onnx: f.path, out: join(dir, 'out'), card: cardPath });
  t.deepEqual(res.card.preprocessing, given.preprocessing);
  t.deepEqual(res.card.input, { height: 28, width: 28, channels: 1, layout: 'NHWC' });
  t.is(res.card.modelFormat, 'graph');
  t.is(res.card.name, 'fmnist-mlp');
});
