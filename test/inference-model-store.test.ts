import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { sha256 } from '../infra/store.js';
import { addModel, listModels, loadModel, modelDigest, runModel } from '../activities/model-store.js';
import type { ModelDigestFile } from '../activities/model-store.js';
import { selectBackend } from '../worker/backend.js';
import { graphModelDir, tempStore, tinyCard, tinyCnn, tinyModelDir } from './inference-fixtures.js';

test.before(async () => {
  await selectBackend('wasm');
});

test('selectBackend falls back past the native TensorFlow packages to wasm and says why', async (t) => {
  const backend = await selectBackend();
  t.is(backend.name, 'wasm');
  t.is(backend.tf.getBackend(), 'wasm');
  t.deepEqual(backend.failures.map((f) => f.name), ['tensorflow-gpu', 'tensorflow']);
  t.regex(backend.failures[0]!.reason, /^cannot import @tensorflow\/tfjs-node-gpu \(/);
});

test('models add uploads model.json, weights, card and digest.json, and the loaded model predicts like the original', async (t) => {
  const store = await tempStore();
  const original = tinyCnn();
  const dir = await tinyModelDir(original);
  const added = await addModel(store, dir);
  t.is(added.name, 'tiny-cnn');
  t.false(added.unchanged);

  const keys = (await store.list('models/')).map((o) => o.key);
  t.deepEqual(keys, [
    'models/tiny-cnn/crossfix-model.json',
    'models/tiny-cnn/digest.json',
    'models/tiny-cnn/group1-shard1of2.bin',
    'models/tiny-cnn/group1-shard2of2.bin',
    'models/tiny-cnn/model.json',
  ]);
  const digestFile = JSON.parse((await store.get('models/tiny-cnn/digest.json')).toString()) as ModelDigestFile;
  t.deepEqual(digestFile.files.map((f) => f.path), [
    'model.json', 'group1-shard1of2.bin', 'group1-shard2of2.bin', 'crossfix-model.json',
  ]);
  t.is(digestFile.files[0]!.sha256, sha256(await readFile(join(dir, 'model.json'))));
  t.is(digestFile.digest, modelDigest(digestFile.files));
  t.is(added.digest, digestFile.digest);

  const loaded = await loadModel(store, 'tiny-cnn');
  t.is(loaded.digest, added.digest);
  t.deepEqual(loaded.card, tinyCard());
  const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 5);
  t.deepEqual(await runModel(loaded.model, x).data(), await runModel(original, x).data());
  t.is(await loadModel(store, 'tiny-cnn'), await loadModel(store, 'tiny-cnn'), 'second load comes from the cache');
});

test('models add rejects a card whose input size disagrees with model.json', async (t) => {
  const store = await tempStore();
  const card = tinyCard({
    input: { height: 32, width: 32, channels: 3, layout: 'NHWC' },
    preprocessing: { interpolation: 'bilinear', cropFraction: 1, cropMode: 'center', mean: [0, 0, 0], std: [1, 1, 1] },
  });
  const dir = await tinyModelDir(tinyCnn(), card);
  await t.throwsAsync(addModel(store, dir), { message: 'models add: model.json input is [null,28,28,1], card says 32×32×3' });
  t.deepEqual(await store.list('models/'), []);
});

test('models add rejects a card whose class count disagrees with the model output', async (t) => {
  const store = await tempStore();
  const dir = await tinyModelDir(tinyCnn(), tinyCard({ numClasses: 5 }));
  await t.throwsAsync(addModel(store, dir), { message: 'models add: model.json output has 10 classes, card says numClasses 5' });
});

test('models add rejects a card that names the wrong TF.js format', async (t) => {
  const store = await tempStore();
  const dir = await tinyModelDir(tinyCnn(), tinyCard({ modelFormat: 'graph' }));
  await t.throwsAsync(addModel(store, dir), { message: `models add: ${join(dir, 'model.json')} is a layers model, card says graph` });
});

test('models add --name registers under that name and listModels lists it', async (t) => {
  const store = await tempStore();
  const dir = await tinyModelDir(tinyCnn());
  const added = await addModel(store, dir, { name: 'cnn-b' });
  const listed = await listModels(store);
  t.deepEqual(listed.map((m) => [m.name, m.digest, m.card.name]), [['cnn-b', added.digest, 'cnn-b']]);
});

test('adding the same model again changes nothing; a different model under the name needs replace', async (t) => {
  const store = await tempStore();
  const dir = await tinyModelDir(tinyCnn());
  const first = await addModel(store, dir);
  t.deepEqual(await addModel(store, dir), { ...first, bytes: 0, unchanged: true });

  const other = await tinyModelDir(tinyCnn(), tinyCard({ family: 'other' }));
  await t.throwsAsync(addModel(store, other), {
    message: `models add: model tiny-cnn already exists with digest ${first.digest}, pass replace to overwrite`,
  });
  const replaced = await addModel(store, other, { replace: true });
  t.not(replaced.digest, first.digest);
  t.is((await loadModel(store, 'tiny-cnn')).card.family, 'other');
});

test('loadModel rejects a weight file changed after registration', async (t) => {
  const store = await tempStore();
  const added = await addModel(store, await tinyModelDir(tinyCnn(), tinyCard({ name: 'tampered' })));
  const key = 'models/tampered/group1-shard2of2.bin';
  const bytes = await store.get(key);
  bytes[0] = bytes[0]! ^ 1;
  await writeFile(store.url(key), bytes);
  const digestFile = JSON.parse((await store.get('models/tampered/digest.json')).toString()) as ModelDigestFile;
  t.is(digestFile.digest, added.digest);
  await t.throwsAsync(loadModel(store, 'tampered'), {
    message: `models: models/tampered/group1-shard2of2.bin has sha256 ${sha256(bytes)}, digest.json says ${digestFile.files[2]!.sha256}`,
  });
});

test('loadModel names a model that is not registered', async (t) => {
  const store = await tempStore();
  await t.throwsAsync(loadModel(store, 'nope'), {
    message: `models: model nope is not registered (${store.url('models/nope/digest.json')} does not exist)`,
  });
});

test('a graph model registers and loads through the store IO handler', async (t) => {
  const store = await tempStore();
  const { dir, w, b } = await graphModelDir(tinyCard({ name: 'tiny-linear', modelFormat: 'graph' }));
  await addModel(store, dir);
  const loaded = await loadModel(store, 'tiny-linear');
  const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 9);
  const expected = tf.add(tf.matMul(tf.reshape(x, [2, 784]), tf.tensor2d(w, [784, 10])), tf.tensor1d(b));
  t.deepEqual(await runModel(loaded.model, x).data(), await expected.data());
});

test('models add rejects a graph model whose input disagrees with the card', async (t) => {
  const store = await tempStore();
  const card = tinyCard({
    name: 'tiny-linear', modelFormat: 'graph',
    input: { height: 28, width: 28, channels: 1, layout: 'NCHW' },
  });
  const { dir } = await graphModelDir(card);
  await t.throwsAsync(addModel(store, dir), { message: 'models add: model.json input is [-1,28,28,1], card says 1×28×28 (NCHW)' });
});
