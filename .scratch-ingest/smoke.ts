import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../infra/store.js';
import { ingest } from '../datasets/ingest.js';
import { readShard, verifyShard, loadManifest } from '../datasets/shard-reader.js';
const dir = mkdtempSync(join(tmpdir(), 'ing-'));
const store = new LocalStore(dir);
const d = '/usr/share/datasets/fashion-mnist/';
let t = performance.now();
const m = await ingest({ kind: 'idx', images: d + 't10k-images-idx3-ubyte.gz', labels: d + 't10k-labels-idx1-ubyte.gz' }, { name: 'fm', store });
console.log('ingest s', ((performance.now() - t) / 1000).toFixed(2), m.samples, m.shards.length, m.shards[0]);
const m2 = await loadManifest(store, 'fm');
t = performance.now();
for (const s of m2.shards) { const b = await store.get(s.key); verifyShard(b, s); const rows = await readShard(b, s.key); if (rows.length !== s.rows) throw new Error('x'); }
console.log('read all ms', performance.now() - t);
console.log(dir);
