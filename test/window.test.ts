import test from 'ava';
import { inWindow } from '../workflows/window.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

test('inWindow keeps the order of the items and never runs more than the window at once', async (t) => {
  let running = 0;
  let most = 0;
  const out = await inWindow([5, 1, 4, 2, 3], 2, async (x) => {
    most = Math.max(most, ++running);
    for (let i = 0; i < x; i++) await tick();
    running--;
    return x * 10;
  });
  t.deepEqual(out, [50, 10, 40, 20, 30]);
  t.is(most, 2);
});

test('inWindow starts nothing after the first failure, lets running work finish, then throws it', async (t) => {
  const started: number[] = [];
  const finished: number[] = [];
  const err = await t.throwsAsync(inWindow([1, 2, 3, 4, 5], 2, async (x) => {
    started.push(x);
    await tick();
    if (x === 2) throw new Error('shard 2 failed');
    await tick();
    finished.push(x);
    return x;
  }));
  t.is(err?.message, 'shard 2 failed');
  t.deepEqual(started, [1, 2]);
  t.deepEqual(finished, [1]);
});
