import sharp from 'sharp';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
const raw = gunzipSync(readFileSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'));
for (const af of [false, true]) {
  let total = 0; const t = performance.now();
  for (let i = 0; i < 2000; i += 64) {
    const outs = await Promise.all(Array.from({ length: 64 }, (_, k) => sharp(raw.subarray(16 + (i + k) * 784, 16 + (i + k + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9, adaptiveFiltering: af }).toBuffer()));
    total += outs.reduce((n, b) => n + b.length, 0);
  }
  const px = raw.subarray(16, 16 + 784);
  const png = await sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9, adaptiveFiltering: af }).toBuffer();
  const back = await sharp(png).extractChannel(0).raw().toBuffer();
  console.log('adaptive', af, 'avg bytes', total / 2048, 'ms', performance.now() - t, 'roundtrip', back.equals(px));
}
