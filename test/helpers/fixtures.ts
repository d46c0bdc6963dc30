/** Small real-data fixtures shared by the integration tests and benchmarks. */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * Writes the first `count` images and labels of Fashion-MNIST's test split as an uncompressed IDX pair
 * (`t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`) into `dir`; returns both paths.
 */
export async function writeFashionMnistSubset(dir: string, count: number): Promise<{ images: string; labels: string }> {
  const images = gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz')));
  const imgOut = Buffer.from(images.subarray(0, 16 + count * 784));
  imgOut.writeUInt32BE(count, 4);
  const lblOut = Buffer.from(labels.subarray(0, 8 + count));
  lblOut.writeUInt32BE(count, 4);
  const paths = { images: join(dir, 't10k-images-idx3-ubyte'), labels: join(dir, 't10k-labels-idx1-ubyte') };
  await writeFile(paths.images, imgOut);
  await writeFile(paths.labels, lblOut);
  return paths;
}
