import test from 'ava';
import { parseModelCard, type ModelCard } from '../lib/model-card.js';

const card: ModelCard = {
  format: 'crossfix-model/1', name: 'lenet', family: 'lenet', source: 'crossfix-zoo',
  input: { height: 28, width: 28, channels: 1, layout: 'NHWC' },
  preprocessing: { interpolation: 'bilinear', cropFraction: 1, cropMode: 'center', mean: [0.286], std: [0.353] },
  numClasses: 10, output: 'logits', modelFormat: 'graph',
};

test('parseModelCard accepts a valid card and fills the documented defaults', (t) => {
  const { output: _o, family: _f, source: _s, ...bare } = card;
  const { interpolation: _i, cropMode: _c, ...pre } = card.preprocessing;
  t.deepEqual(parseModelCard({ ...bare, preprocessing: pre }), { ...card, family: 'unknown', source: 'unknown' });
});

const cases: [string, unknown, string][] = [
  ['a wrong format', { ...card, format: 'x' }, 'card: format must be "crossfix-model/1", got "x"'],
  ['a bad name', { ...card, name: 'Le Net' }, 'card: name "Le Net" is not a valid model name'],
  ['a missing channel count', { ...card, input: { height: 28, width: 28, layout: 'NHWC' } },
    'card: input must have positive integer height, width and channels, got {"height":28,"width":28,"layout":"NHWC"}'],
  ['a mean per channel missing', { ...card, preprocessing: { ...card.preprocessing, mean: [] } },
    'card: preprocessing.mean must hold one number per channel (1), got []'],
  ['a zero std', { ...card, preprocessing: { ...card.preprocessing, std: [0] } },
    'card: preprocessing.std must be positive, got [0]'],
  ['a crop fraction above 1', { ...card, preprocessing: { ...card.preprocessing, cropFraction: 1.2 } },
    'card: preprocessing.cropFraction must be in (0, 1], got 1.2'],
  ['a class index of the wrong length', { ...card, classIndex: [0, 1] },
    'card: classIndex must hold numClasses (10) entries, got 2'],
  ['a negative class index', { ...card, classIndex: [0, 1, 2, 3, 4, 5, 6, 7, 8, -9] },
    'card: classIndex[9] must be a non-negative integer, got -9'],
];
for (const [what, value, message] of cases) {
  test(`parseModelCard rejects ${what} naming the field and the value`, (t) => {
    t.throws(() => parseModelCard(value, 'card'), { name: 'ModelCardError', message });
  });
}
