// Serial: libvips keeps one error buffer per process, so concurrent failing decodes could swap their messages.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { IngestError, ingest } from '../datasets/ingest.js';
import type { IngestSource } from '../datasets/ingest.js';
import { loadManifest } from '../datasets/shard-reader.js';
import { idxImages, idxLabels, jpeg, png, tempDir, tempStore, writeTree } from './ingest-fixtures.js';

/** A JPEG cut in half: its header still parses (metadata() succeeds), its pixels do not. */
async function truncatedJpeg(): Promise<Buffer> {
  const whole = await jpeg(7, 64, 48);
  return whole.subarray(0, Math.floor(whole.length / 2));
}

/** Asserts one IngestError with exactly this message, and that no manifest was published. */
async function failsWith(t: ExecutionContext, source: IngestSource, message: string): Promise<void> {
  const store = await tempStore();
  const err = await t.throwsAsync(ingest(source, { name: 'bad', store, shardSize: 1 }), { instanceOf: IngestError });
  t.is(err?.message, message);
  t.is(await store.head('datasets/bad/manifest.json'), undefined);
}

async function flat(files: Record<string, Buffer | string>): Promise<{ root: string; labels: string }> {
  const root = await writeTree(await tempDir(), files);
  return { root, labels: join(root, 'labels.txt') };
}

test.serial('a truncated JPEG fails the ingest naming the file, although its header reads', async (t) => {
  const root = await writeTree(await tempDir(), { 'a/1.jpg': await jpeg(1), 'a/2.jpg': await truncatedJpeg() });
  await failsWith(t, { kind: 'tree', root }, `ingest: image ${join(root, 'a', '2.jpg')} cannot be decoded (VipsJpeg: premature end of JPEG image)`);
});

test.serial('a file that is not an image fails the ingest naming the file', async (t) => {
  const { root, labels } = await flat({ '1.png': await png(1), '2.png': 'hello', 'labels.txt': '1.png 0\n2.png 1\n' });
  await failsWith(t, { kind: 'flat', root, labels }, `ingest: image ${join(root, '2.png')} cannot be decoded (Input buffer contains unsupported image format)`);
});

test.serial('a label out of range fails the ingest naming the labels file, line and value', async (t) => {
  const { root, labels } = await flat({ 'a.jpg': await jpeg(1), 'b.jpg': await jpeg(2), 'labels.txt': 'a.jpg 0\nb.jpg 3\n' });
  await failsWith(t, { kind: 'flat', root, labels, classNames: ['x', 'y', 'z'] }, `ingest: ${labels} line 2: label 3 is out of range 0…2`);
  const neg = await flat({ 'a.jpg': await jpeg(1), 'labels.txt': '-1\n' });
  await failsWith(t, { kind: 'flat', ...neg }, `ingest: ${neg.labels} line 1: label -1 is negative`);
  const name = await flat({ 'a.jpg': await jpeg(1), 'labels.txt': 'a.jpg n042\n' });
  await failsWith(t, { kind: 'flat', ...name, classNames: ['n001'] }, `ingest: ${name.labels} line 1: label "n042" is not a class in the class index`);
});

test.serial('an IDX label out of range fails naming the labels file, item and value', async (t) => {
  const dir = await writeTree(await tempDir(), { 'i.gz': idxImages(3), 'l.gz': idxLabels([1, 2, 10]) });
  const labels = join(dir, 'l.gz');
  await failsWith(t, { kind: 'idx', images: join(dir, 'i.gz'), labels }, `ingest: ${labels} item 2: label 10 is out of range 0…9`);
});

test.serial('a sample id labelled twice fails naming both lines', async (t) => {
  const { root, labels } = await flat({ 'a.jpg': await jpeg(1), 'b.jpg': await jpeg(2), 'labels.txt': 'a.jpg 0\nb.jpg 1\na.jpg 1\n' });
  await failsWith(t, { kind: 'flat', root, labels }, `ingest: ${labels} line 3: sample id a.jpg already has a label on line 1`);
});

test.serial('an image without a label, or a label without an image, fails naming it', async (t) => {
  const missing = await flat({ 'a.jpg': await jpeg(1), 'b.jpg': await jpeg(2), 'labels.txt': 'a.jpg 0\n' });
  await failsWith(t, { kind: 'flat', ...missing }, `ingest: ${missing.labels} has no label for ${join(missing.root, 'b.jpg')}`);
  const extra = await flat({ 'a.jpg': await jpeg(1), 'labels.txt': 'a.jpg 0\nc.jpg 0\n' });
  await failsWith(t, { kind: 'flat', ...extra }, `ingest: ${extra.labels} line 2: image c.jpg is not in ${extra.root}`);
  const count = await flat({ 'a.jpg': await jpeg(1), 'b.jpg': await jpeg(2), 'labels.txt': '0\n' });
  await failsWith(t, { kind: 'flat', ...count }, `ingest: ${count.labels} has 1 labels for 2 images in ${count.root}`);
});

test.serial('an empty source fails the ingest', async (t) => {
  const empty = await writeTree(await tempDir(), { 'a/notes.txt': 'x', 'labels.txt': '' });
  await failsWith(t, { kind: 'tree', root: empty }, `ingest: ${empty} holds no images in class folders`);
  await failsWith(t, { kind: 'flat', root: empty, labels: join(empty, 'labels.txt') }, `ingest: ${empty} holds no images`);
  const dir = await writeTree(await tempDir(), { 'i.gz': idxImages(0), 'l.gz': idxLabels([]) });
  await failsWith(t, { kind: 'idx', images: join(dir, 'i.gz'), labels: join(dir, 'l.gz') }, `ingest: ${join(dir, 'i.gz')} holds no images`);
});

test.serial('a class folder missing from the class index fails naming folder and index', async (t) => {
  const root = await writeTree(await tempDir(), { 'n1/a.jpg': await jpeg(1), 'n9/b.jpg': await jpeg(2), 'index.json': '["n1", "n2"]' });
  const classIndex = join(root, 'index.json');
  await failsWith(t, { kind: 'tree', root, classIndex }, `ingest: class folder ${join(root, 'n9')} is not in the class index ${classIndex}`);
});

test.serial('a bad dataset name or shard size is refused before any work', async (t) => {
  const root = await writeTree(await tempDir(), { 'a/1.jpg': await jpeg(1) });
  const store = await tempStore();
  await t.throwsAsync(ingest({ kind: 'tree', root }, { name: 'Bad Name', store }), {
    message: `ingest: dataset name "Bad Name" is not valid (lower-case letters, digits, '.', '_', '-'; at most 128)`,
  });
  await t.throwsAsync(ingest({ kind: 'tree', root }, { name: 'ok', store, shardSize: 0 }), { message: 'ingest: shard size 0 is not a positive integer' });
});

test.serial('skipBad records bad samples in skipped.json and the manifest, and ingests the rest', async (t) => {
  const root = await writeTree(await tempDir(), {
    'n1/a.jpg': await jpeg(1), 'n1/b.jpg': await truncatedJpeg(), 'n1/c.jpg': await jpeg(3), 'n9/d.jpg': await jpeg(4), 'index.json': '["n1"]',
  });
  const classIndex = join(root, 'index.json');
  const store = await tempStore();
  const manifest = await ingest({ kind: 'tree', root, classIndex }, { name: 'skip', store, skipBad: true, shardSize: 1 });

  t.is(manifest.samples, 2);
  t.is(manifest.skipped, 2);
  t.deepEqual(manifest.shards.map((s) => s.rows), [1, 1]);
  t.deepEqual(JSON.parse((await store.get('datasets/skip/skipped.json')).toString()), [
    { sample_id: 'n9/d.jpg', file: join(root, 'n9'), reason: `ingest: class folder ${join(root, 'n9')} is not in the class index ${classIndex}` },
    { sample_id: 'n1/b.jpg', file: join(root, 'n1', 'b.jpg'), reason: `ingest: image ${join(root, 'n1', 'b.jpg')} cannot be decoded (VipsJpeg: premature end of JPEG image)` },
  ]);
  t.deepEqual(await loadManifest(store, 'skip'), manifest);
});

test.serial('skipBad drops both entries of a duplicate label and fails only when nothing is left', async (t) => {
  const { root, labels } = await flat({ 'a.jpg': await jpeg(1), 'b.jpg': await jpeg(2), 'labels.txt': 'a.jpg 0\nb.jpg 1\na.jpg 1\n' });
  const store = await tempStore();
  const manifest = await ingest({ kind: 'flat', root, labels }, { name: 'dup', store, skipBad: true });
  t.deepEqual([manifest.samples, manifest.skipped], [1, 1]);
  const bad = await flat({ 'a.jpg': 'junk', 'labels.txt': 'a.jpg 0\n' });
  await t.throwsAsync(ingest({ kind: 'flat', ...bad }, { name: 'none', store, skipBad: true }), {
    message: `ingest: every sample of ${bad.root} was skipped (1); nothing to publish`,
  });
});
