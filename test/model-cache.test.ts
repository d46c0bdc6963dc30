import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireModel, addModel, clearModelCache, loadModel } from '../activities/model-store.js';
import { LocalStore } from '../infra/store.js';
import { writeTinyModel } from './helpers/tiny-models.js';

test('the worker model cache keeps models in use and evicts the least recently used idle ones', async (t) => {
  process.env.CROSSFIX_MODEL_CACHE = '1';
  const root = await mkdtemp(join(tmpdir(), 'crossfix-cache-'));
  const store = new LocalStore(join(root, 'store'));
  for (const [name, seed] of [['a', 1], ['b', 2]] as const) {
    await addModel(store, await writeTinyModel(join(root, 'models'), { name, seed, kind: 'dense' }));
  }
  try {
    const a = await acquireModel(store, 'a');
    const b = await acquireModel(store, 'b');
    b.release(); // two cached, limit 1: b is idle, a is in use → b goes
    t.is(await loadModel(store, 'a'), a.loaded, 'a model in use is never evicted');
    const b2 = await acquireModel(store, 'b');
    t.not(b2.loaded, b.loaded, 'the evicted model is loaded again');
    b2.release(); // a (in use) and b2: b2 goes again
    a.release(); // only a remains, within the limit
    t.is(await loadModel(store, 'a'), a.loaded);
  } finally {
    delete process.env.CROSSFIX_MODEL_CACHE;
    await clearModelCache();
  }
});
