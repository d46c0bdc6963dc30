import test from 'ava';
import { parquetReadObjects } from 'hyparquet';
import { ingest } from '../datasets/ingest.js';
import { DatasetError, loadManifest, readShard, verifyShard } from '../datasets/shard-reader.js';
import { encodeShard } from '../datasets/shard-writer.js';
import { putJson, sha256 } from '../infra/store.js';
import { jpeg, tempDir, tempStore, writeTree } from './ingest-fixtures.js';

const rows = [
  { sample_id: 'a/1.jpg', label: 0, image: Buffer.from([1, 2, 3]) },
  { sample_id: 'b/2.jpg', label: 7, image: Buffer.from([4, 5]) },
];

test('readShard returns what encodeShard wrote, and other Parquet readers see the same rows', async (t) => {
  const bytes = await encodeShard(rows);
  t.deepEqual(await readShard(bytes), rows);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const other = await parquetReadObjects({ file: ab, utf8: false });
  t.deepEqual(other.map((r) => [r.sample_id, r.label, Buffer.from(r.image as Uint8Array)]), rows.map((r) => [r.sample_id, r.label, r.image]));
});

test('readShard refuses bytes that are not Parquet, naming the shard', async (t) => {
  await t.throwsAsync(readShard(Buffer.from('not parquet at all'), 'datasets/x/shards/shard-00000.parquet'), {
    instanceOf: DatasetError,
    message: 'dataset: shard datasets/x/shards/shard-00000.parquet is not a readable Parquet file (not valid parquet file)',
  });
});

test('verifyShard names the shard and both values when size, sha256 or rows disagree with the manifest', async (t) => {
  const bytes = await encodeShard(rows);
  {
    const entry = { index: 3, key: 'datasets/x/shards/shard-00003.parquet', rows: 2, sha256: sha256(bytes), bytes: bytes.length };
    t.notThrows(() => verifyShard(bytes, entry));
    t.throws(() => verifyShard(bytes.subarray(1), entry), {
      message: `dataset: shard datasets/x/shards/shard-00003.parquet has ${bytes.length - 1} bytes, manifest says ${bytes.length}`,
    });
    const tampered = Buffer.from(bytes);
    tampered[10] = tampered[10]! ^ 0xff;
    t.throws(() => verifyShard(tampered, entry), {
      instanceOf: DatasetError,
      message: `dataset: shard datasets/x/shards/shard-00003.parquet has sha256 ${sha256(tampered)}, manifest says ${entry.sha256}`,
    });
    t.throws(() => verifyShard(bytes, { ...entry, rows: 3 }), {
      message: 'dataset: shard datasets/x/shards/shard-00003.parquet has 2 rows, manifest says 3',
    });
  }
});

test('loadManifest names a missing, unparsable or inconsistent manifest', async (t) => {
  const store = await tempStore();
  await t.throwsAsync(loadManifest(store, 'nope'), { instanceOf: DatasetError, message: 'dataset: manifest datasets/nope/manifest.json does not exist' });
  await store.put('datasets/junk/manifest.json', '{oops');
  const junk = await t.throwsAsync(loadManifest(store, 'junk'));
  t.regex(junk!.message, /^dataset: manifest datasets\/junk\/manifest\.json is not valid JSON \(/);

  const root = await writeTree(await tempDir(), { 'a/1.jpg': await jpeg(1), 'a/2.jpg': await jpeg(2) });
  const good = await ingest({ kind: 'tree', root }, { name: 'ds', store, shardSize: 1 });
  const cases: Array<[object, string]> = [
    [{ format: 'v0' }, 'has format "v0", expected "crossfix-dataset/1"'],
    [{ name: 'other' }, 'has name "other", expected "ds"'],
    [{ samples: 3 }, 'says 3 samples, its shards hold 2'],
    [{ shards: [good.shards[1], good.shards[0]] }, 'shards[0] has index 1, expected 0'],
    [{ shards: [{ ...good.shards[0], sha256: 'xyz' }, good.shards[1]] }, 'shards[0] has sha256 "xyz"'],
    [{ classes: [] }, 'has no list of class names'],
  ];
  for (const [patch, what] of cases) {
    await putJson(store, 'datasets/ds/manifest.json', { ...good, ...patch });
    await t.throwsAsync(loadManifest(store, 'ds'), { message: `dataset: manifest datasets/ds/manifest.json ${what}` });
  }
});
