import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClassNames, readClassNames } from '../analysis/io/class-names.js';
import { parseTimmCsv, readTimmCsv } from '../analysis/io/timm-csv.js';

const csv = (path: string, ...lines: string[]) => ({ path, text: lines.join('\n') + '\n' });

test('parseTimmCsv aligns models by filename, not row order, and sorts sample ids', (t) => {
  const input = parseTimmCsv([
    csv('out/resnet50.csv', 'b.jpg,3,1,3', 'a.jpg,0,2,0', 'c.jpg,1,1,2'),
    csv('out/vit.csv', 'c.jpg,2,0,2', 'a.jpg,1,0,0', 'b.jpg,3,0,3'),
  ]);
  t.deepEqual(input.sampleIds, ['a.jpg', 'b.jpg', 'c.jpg']);
  t.deepEqual([...input.labels], [0, 3, 2]);
  t.is(input.numClasses, 4);
  t.deepEqual(
    input.models.map((m) => ({ name: m.name, top1: [...m.top1] })),
    [
      { name: 'resnet50', top1: [0, 3, 1] },
      { name: 'vit', top1: [1, 3, 2] },
    ],
  );
  t.is(input.classNames, undefined);
});

test('parseTimmCsv accepts top-1-only files, CRLF line ends and class names', (t) => {
  const input = parseTimmCsv([{ path: 'm.csv', text: 'x.png,1,1\r\ny.png,0,1\r\n' }], {
    classNames: ['cat', 'dog', 'eel'],
  });
  t.deepEqual(input.sampleIds, ['x.png', 'y.png']);
  t.deepEqual([...input.models[0]!.top1], [1, 0]);
  t.is(input.numClasses, 3);
  t.deepEqual(input.classNames, ['cat', 'dog', 'eel']);
});

const failures: Array<[string, Array<{ path: string; text: string }>, string]> = [
  ['an empty file', [{ path: 'a.csv', text: '\n\n' }], 'timm-csv: a.csv is empty'],
  [
    'a column count that varies across lines',
    [csv('a.csv', 'x,1,2,3', 'y,1,2')],
    'timm-csv: a.csv line 2 has 3 columns, line 1 has 4',
  ],
  [
    'too few columns',
    [csv('a.csv', 'x,1')],
    'timm-csv: a.csv line 1 has 2 columns, expected filename,top1[,…,topk],target (at least 3)',
  ],
  [
    'a non-integer class id',
    [csv('a.csv', 'x,1,2', 'y,1.5,2')],
    'timm-csv: a.csv line 2 column 2 is "1.5", expected a non-negative integer class id',
  ],
  [
    'a non-integer target',
    [csv('a.csv', 'x,1,2', 'y,1,cat')],
    'timm-csv: a.csv line 2 column 3 is "cat", expected a non-negative integer class id',
  ],
  [
    'a duplicate filename',
    [csv('a.csv', 'x,1,2', 'y,1,2', 'x,0,2')],
    'timm-csv: a.csv line 3 repeats filename "x" (first on line 1)',
  ],
  [
    'a file missing a sample another file has',
    [csv('a.csv', 'x,1,2', 'y,1,2'), csv('b.csv', 'y,1,2')],
    'timm-csv: b.csv has no row for "x" (a.csv line 1)',
  ],
  [
    'a file with a sample the first file lacks',
    [csv('a.csv', 'x,1,2'), csv('b.csv', 'x,1,2', 'z,0,0')],
    'timm-csv: a.csv has no row for "z" (b.csv line 2)',
  ],
  [
    'different targets for one filename',
    [csv('a.csv', 'x,1,2', 'y,1,2'), csv('b.csv', 'x,1,2', 'y,1,0')],
    'timm-csv: b.csv line 2 gives target 0 for "y", a.csv line 2 gives 2',
  ],
  [
    'two files with the same stem',
    [csv('one/m.csv', 'x,1,2'), csv('two/m.csv', 'x,1,2')],
    'timm-csv: one/m.csv and two/m.csv both name model "m"',
  ],
];

for (const [what, files, message] of failures) {
  test(`parseTimmCsv rejects ${what}`, (t) => {
    t.throws(() => parseTimmCsv(files), { message });
  });
}

test('parseTimmCsv rejects class ids beyond the class names', (t) => {
  t.throws(() => parseTimmCsv([csv('a.csv', 'x,3,1')], { classNames: ['a', 'b'] }), {
    message: 'timm-csv: a.csv has class id 3, but the class names list 2 classes',
  });
});

test('parseTimmCsv allows spaces around class ids but not inside them', (t) => {
  t.deepEqual([...parseTimmCsv([csv('m.csv', 'x, 2 ,1')]).models[0]!.top1], [2]);
  t.throws(() => parseTimmCsv([csv('m.csv', 'x,1 2,1')]), {
    message: 'timm-csv: m.csv line 1 column 2 is "1 2", expected a non-negative integer class id',
  });
});

test('readTimmCsv and readClassNames read files from disk', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'crossfix-csv-'));
  await writeFile(join(dir, 'convnext.csv'), 'img1,1,0\nimg0,0,0\n');
  await writeFile(join(dir, 'names.txt'), 'tench\ngoldfish\n');
  const classNames = await readClassNames(join(dir, 'names.txt'));
  const input = await readTimmCsv([join(dir, 'convnext.csv')], { classNames });
  t.deepEqual(input.sampleIds, ['img0', 'img1']);
  t.deepEqual(input.classNames, ['tench', 'goldfish']);
  t.is(input.models[0]!.name, 'convnext');
});

test('parseClassNames reads a JSON array or one name per line', (t) => {
  t.deepEqual(parseClassNames('["a, b", "c"]', 'n.json'), ['a, b', 'c']);
  t.deepEqual(parseClassNames('tench\r\ngoldfish\n\n', 'n.txt'), ['tench', 'goldfish']);
  t.throws(() => parseClassNames('[1]', 'n.json'), { message: 'class-names: n.json entry 0 is 1, expected a string' });
  t.throws(() => parseClassNames('a\n\nb', 'n.txt'), {
    message: 'class-names: n.txt line 2 is blank, expected a class name',
  });
  t.throws(() => parseClassNames(' \n', 'n.txt'), { message: 'class-names: n.txt is empty' });
});
