import test from 'ava';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { detectSource, ingest } from '../datasets/ingest.js';
import { idxImages, idxLabels, jpeg, tempDir, tempStore, writeTree } from './ingest-fixtures.js';

test('an IDX file given with --class-names gets those class names, and labels beside it by file name', async (t) => {
  const dir = await writeTree(await tempDir(), {
    'images-idx3-ubyte-files/train-images-idx3-ubyte.gz': idxImages(3),
    'images-idx3-ubyte-files/train-labels-idx1-ubyte.gz': idxLabels([0, 1, 2]),
    'digits.json': JSON.stringify(['zero', 'one', 'two']),
  });
  const source = await detectSource(join(dir, 'images-idx3-ubyte-files', 'train-images-idx3-ubyte.gz'),
    { classNames: join(dir, 'digits.json') });
  t.like(source, { kind: 'idx', labels: join(dir, 'images-idx3-ubyte-files', 'train-labels-idx1-ubyte.gz') });
  const manifest = await ingest(source, { name: 'digits', store: await tempStore() });
  t.deepEqual(manifest.classes, ['zero', 'one', 'two']);
});

test('class folders that are symbolic links are ingested like real ones', async (t) => {
  const elsewhere = await writeTree(await tempDir(), { 'n02/b.jpg': await jpeg(2) });
  const root = await writeTree(await tempDir(), { 'n01/a.jpg': await jpeg(1) });
  await symlink(join(elsewhere, 'n02'), join(root, 'n02'));
  const manifest = await ingest(await detectSource(root), { name: 'linked', store: await tempStore() });
  t.deepEqual(manifest.classes, ['n01', 'n02']);
  t.is(manifest.samples, 2);
});
