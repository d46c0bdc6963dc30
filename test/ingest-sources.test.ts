import test from 'ava';
import { join } from 'node:path';
import sharp from 'sharp';
import { ingest, detectSource } from '../datasets/ingest.js';
import type { IngestSource } from '../datasets/ingest.js';
import { loadManifest, readShard, verifyShard } from '../datasets/shard-reader.js';
import { FASHION_MNIST_CLASSES } from '../datasets/source-idx.js';
import type { LocalStore } from '../infra/store.js';
import { idxImages, idxLabels, jpeg, png, tempDir, tempStore, writeTree } from './ingest-fixtures.js';

/** Every row of a published dataset, verified against its manifest. */
async function readAll(store: LocalStore, name: string) {
  const manifest = await loadManifest(store, name);
  const rows = [];
  for (const entry of manifest.shards) {
    const bytes = await store.get(entry.key);
    verifyShard(bytes, entry);
    rows.push(...(await readShard(bytes, entry.key)));
  }
  return { manifest, rows };
}

async function smallTree(): Promise<{ root: string; files: Record<string, Buffer> }> {
  const files = { 'b/2.jpg': await jpeg(2), 'b/1.png': await png(1), 'a/3.jpg': await jpeg(3), 'c/4.JPEG': await jpeg(4) };
  const root = await writeTree(await tempDir(), { ...files, 'a/notes.txt': 'not an image', 'README': 'x' });
  return { root, files };
}

test('ingest of a class-folder tree writes shards of shardSize rows in sample-id order with the image bytes unchanged', async (t) => {
  const { root, files } = await smallTree();
  const store = await tempStore();
  const manifest = await ingest({ kind: 'tree', root }, { name: 'tree', store, shardSize: 3 });
  const { rows } = await readAll(store, 'tree');

  t.deepEqual(manifest.classes, ['a', 'b', 'c']);
  t.deepEqual(manifest.source, { kind: 'tree', root });
  t.is(manifest.samples, 4);
  t.deepEqual(manifest.shards.map((s) => [s.key, s.rows]), [['datasets/tree/shards/shard-00000.parquet', 3], ['datasets/tree/shards/shard-00001.parquet', 1]]);
  t.deepEqual(rows.map((r) => [r.sample_id, r.label]), [['a/3.jpg', 0], ['b/1.png', 1], ['b/2.jpg', 1], ['c/4.JPEG', 2]]);
  for (const r of rows) t.true(r.image.equals(files[r.sample_id]!), r.sample_id);
  t.is(manifest.skipped, undefined);
});

test('a tree class index may be a JSON list, ImageNet\'s {"0": [wnid, name]} mapping or a text file of lines', async (t) => {
  const { root } = await smallTree();
  const indexes = {
    'list.json': JSON.stringify(['c', 'b', 'a', 'unused']),
    'imagenet.json': JSON.stringify({ 0: ['c', 'crane'], 1: ['b', 'crane'], 2: ['a', 'tench'], 3: ['unused', 'x'] }),
    'synsets.txt': 'c crane\nb crane, bird\na tench, Tinca tinca\nunused x\n',
  };
  const dir = await writeTree(await tempDir(), indexes);
  for (const file of Object.keys(indexes)) {
    const store = await tempStore();
    const manifest = await ingest({ kind: 'tree', root, classIndex: join(dir, file) }, { name: 'tree', store });
    const { rows } = await readAll(store, 'tree');
    t.deepEqual(manifest.classes, ['c', 'b', 'a', 'unused'], file);
    t.deepEqual(rows.map((r) => r.label), [2, 1, 1, 0], file);
  }
});

test('a flat folder takes labels as "file label", CSV with header, or one label per line in file-name order', async (t) => {
  const images = { 'v_3.JPEG': await jpeg(13), 'v_1.JPEG': await jpeg(11), 'v_2.JPEG': await jpeg(12) };
  const root = await writeTree(await tempDir(), images);
  const cases: Array<[string, string, string[] | undefined, string[], number[]]> = [
    ['val.txt', 'v_1.JPEG 2\nv_2.JPEG 0\n\nv_3.JPEG 1\n', undefined, ['0', '1', '2'], [2, 0, 1]],
    ['val.csv', 'ImageId,PredictionString\nv_3,n02 1 2 3 4 n02 5 6 7 8\nv_1,n01 1 2 3 4\nv_2,n03 0 0 1 1\n', undefined, ['n01', 'n02', 'n03'], [0, 2, 1]],
    ['comma.csv', 'filename,label\r\nv_2.JPEG,1\r\nv_1.JPEG,0\r\nv_3.JPEG,1\r\n', ['x', 'y'], ['x', 'y'], [0, 1, 1]],
    ['synsets.txt', 'n09\nn01\nn09\n', undefined, ['n01', 'n09'], [1, 0, 1]],
    ['ints.txt', '# one per image\n4\n0\n1\n', ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd', 'e'], [4, 0, 1]],
    ['names.txt', 'e\na\nb\n', ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd', 'e'], [4, 0, 1]],
  ];
  for (const [file, text, classNames, classes, labels] of cases) {
    const labelsPath = join(await writeTree(await tempDir(), { [file]: text }), file);
    const store = await tempStore();
    const manifest = await ingest({ kind: 'flat', root, labels: labelsPath, classNames }, { name: 'val', store });
    const { rows } = await readAll(store, 'val');
    t.deepEqual(manifest.classes, classes, file);
    t.deepEqual(rows.map((r) => [r.sample_id, r.label]), [['v_1.JPEG', labels[0]], ['v_2.JPEG', labels[1]], ['v_3.JPEG', labels[2]]], file);
    t.true(rows[0]!.image.equals(images['v_1.JPEG']), file);
  }
});

test('an IDX pair becomes grayscale PNGs with ids <split>-<index> that decode to the original pixels', async (t) => {
  const dir = await writeTree(await tempDir(), {
    't10k-images-idx3-ubyte.gz': idxImages(5),
    't10k-labels-idx1-ubyte.gz': idxLabels([3, 1, 0, 9, 2]),
  });
  const source = await detectSource(join(dir, 't10k-images-idx3-ubyte.gz'));
  const store = await tempStore();
  const manifest = await ingest(source, { name: 'idx', store, shardSize: 2 });
  const { rows } = await readAll(store, 'idx');

  t.deepEqual(manifest.classes, FASHION_MNIST_CLASSES);
  t.is(manifest.source.split, 'test');
  t.deepEqual(manifest.shards.map((s) => s.rows), [2, 2, 1]);
  t.deepEqual(rows.map((r) => [r.sample_id, r.label]), [['test-00000', 3], ['test-00001', 1], ['test-00002', 0], ['test-00003', 9], ['test-00004', 2]]);
  const meta = await sharp(rows[3]!.image).metadata();
  t.deepEqual([meta.format, meta.channels, meta.width, meta.height], ['png', 1, 4, 4]);
  const pixels = await sharp(rows[3]!.image).extractChannel(0).raw().toBuffer();
  t.deepEqual([...pixels], Array.from({ length: 16 }, (_, i) => 120 + i));
});

test('re-ingesting the same input gives byte-identical shards and manifest', async (t) => {
  const { root } = await smallTree();
  const store = await tempStore();
  const snapshot = async () => Promise.all((await store.list('datasets/')).map(async (o) => [o.key, (await store.get(o.key)).toString('base64')]));
  await ingest({ kind: 'tree', root }, { name: 'again', store, shardSize: 3 });
  const first = await snapshot();
  await ingest({ kind: 'tree', root }, { name: 'again', store, shardSize: 3 });
  t.deepEqual(await snapshot(), first);
  t.deepEqual(first.map(([k]) => k), ['datasets/again/manifest.json', 'datasets/again/shards/shard-00000.parquet', 'datasets/again/shards/shard-00001.parquet']);
});

test('a re-ingest into fewer shards removes the shards it no longer lists', async (t) => {
  const { root } = await smallTree();
  const store = await tempStore();
  await ingest({ kind: 'tree', root }, { name: 'shrink', store, shardSize: 1 });
  await ingest({ kind: 'tree', root }, { name: 'shrink', store, shardSize: 3 });
  t.deepEqual((await store.list('datasets/shrink/shards/')).map((o) => o.key), ['datasets/shrink/shards/shard-00000.parquet', 'datasets/shrink/shards/shard-00001.parquet']);
});

test('onProgress counts processed samples up to the total', async (t) => {
  const { root } = await smallTree();
  const seen: Array<[number, number]> = [];
  await ingest({ kind: 'tree', root }, { name: 'progress', store: await tempStore(), onProgress: (d, n) => seen.push([d, n]) });
  t.deepEqual(seen, [[0, 4], [4, 4]]);
});

test('detectSource recognises fashion-mnist shorthands, IDX files, flat folders and trees', async (t) => {
  const fm = '/usr/share/datasets/fashion-mnist';
  const cases: Array<[string, IngestSource]> = [
    ['fashion-mnist', { kind: 'idx', images: `${fm}/t10k-images-idx3-ubyte.gz`, labels: `${fm}/t10k-labels-idx1-ubyte.gz`, split: 'test' }],
    ['fashion-mnist:train', { kind: 'idx', images: `${fm}/train-images-idx3-ubyte.gz`, labels: `${fm}/train-labels-idx1-ubyte.gz`, split: 'train' }],
  ];
  for (const [path, expected] of cases) t.deepEqual(await detectSource(path), expected);
  const { root } = await smallTree();
  t.deepEqual(await detectSource(root), { kind: 'tree', root });
  const idx = await writeTree(await tempDir(), { 'c.json': '["a","b","c"]', 'l.txt': 'x.jpg 1\n', 'x.jpg': await jpeg(1) });
  t.deepEqual(await detectSource(root, { classNames: join(idx, 'c.json') }), { kind: 'tree', root, classIndex: join(idx, 'c.json') });
  t.deepEqual(await detectSource(idx, { labels: join(idx, 'l.txt'), classIndex: join(idx, 'c.json') }), {
    kind: 'flat', root: idx, labels: join(idx, 'l.txt'), classNames: ['a', 'b', 'c'],
  });
  await t.throwsAsync(detectSource(idx), { message: `ingest: ${idx} holds images but no class folders; give a labels file for a flat folder` });
  await t.throwsAsync(detectSource('/nope/x'), { message: 'ingest: source /nope/x does not exist' });
});
