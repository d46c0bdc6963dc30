import test from 'ava';
import { existsSync } from 'node:fs';
import { ingestCommand } from '../datasets/ingest.js';
import { loadManifest, readShard, verifyShard } from '../datasets/shard-reader.js';
import { FASHION_MNIST_CLASSES } from '../datasets/source-idx.js';
import { sha256 } from '../infra/store.js';
import { tempStore } from './ingest-fixtures.js';

const present = existsSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
const fmTest = present ? test : test.skip;

fmTest('the Fashion-MNIST test split ingests into 10 shards of 1000 with 1000 images per class, identically twice', async (t) => {
  const store = await tempStore();
  const started = performance.now();
  const manifest = await ingestCommand({ source: 'fashion-mnist:test', name: 'fashion-mnist', store });
  t.log(`ingested 10,000 images in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  t.is(manifest.samples, 10000);
  t.deepEqual(manifest.classes, FASHION_MNIST_CLASSES);
  t.deepEqual(manifest.shards.map((s) => s.rows), Array(10).fill(1000));
  const histogram = Array(10).fill(0);
  const ids: string[] = [];
  for (const entry of manifest.shards) {
    const bytes = await store.get(entry.key);
    t.is(sha256(bytes), entry.sha256);
    t.is(bytes.length, entry.bytes);
    verifyShard(bytes, entry);
    for (const row of await readShard(bytes, entry.key)) {
      histogram[row.label]++;
      ids.push(row.sample_id);
    }
  }
  t.deepEqual(histogram, Array(10).fill(1000));
  t.deepEqual([ids[0], ids[1], ids[9999]], ['test-00000', 'test-00001', 'test-09999']);
  t.deepEqual(await loadManifest(store, 'fashion-mnist'), manifest);

  const before = await Promise.all(manifest.shards.map((s) => store.get(s.key)));
  const manifestBytes = await store.get('datasets/fashion-mnist/manifest.json');
  await ingestCommand({ source: 'fashion-mnist:test', name: 'fashion-mnist', store });
  t.true((await store.get('datasets/fashion-mnist/manifest.json')).equals(manifestBytes));
  for (const [i, s] of manifest.shards.entries()) t.true((await store.get(s.key)).equals(before[i]!), s.key);
});
