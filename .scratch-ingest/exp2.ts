import sharp from 'sharp';
import { createHash } from 'node:crypto';
const px = Buffer.alloc(784); for (let i = 0; i < 784; i++) px[i] = (i * 37) % 256;
const enc = (o: any) => sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).png(o).toBuffer();
for (const o of [{ compressionLevel: 9, adaptiveFiltering: false }, { compressionLevel: 6 }, {compressionLevel: 9, adaptiveFiltering: true}]) {
  const a = await enc(o); const b = await enc(o);
  const m = await sharp(a).metadata();
  console.log(JSON.stringify(o), a.length, a.equals(b), m.channels, m.space, m.format, m.depth);
  const raw = await sharp(a).raw().toBuffer(); console.log('roundtrip', raw.length, raw.equals(px));
}
let t = performance.now();
const N = 10000; const W = 16;
for (let i = 0; i < N; i += W) await Promise.all(Array.from({ length: W }, () => enc({ compressionLevel: 9, adaptiveFiltering: false })));
console.log('10k png ms', performance.now() - t, sharp.concurrency(), process.env.UV_THREADPOOL_SIZE);
console.log(sharp.versions);
