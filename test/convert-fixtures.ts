/** ONNX fixtures for the converter tests, exported once per script version into .cache/. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const SCRIPT = 'test/fixtures/export-families.py';

/** One exported fixture model. */
export interface OnnxFixture {
  name: string;
  path: string;
  /** ONNX input without the batch: [C, H, W]. */
  input: number[];
  opset: number;
}

/**
 * Exports the given fixture group (zoo, ops or timm) with Debian's python3 unless the cache
 * folder for this script version already holds it; returns the models.
 */
export async function onnxFixtures(group: string): Promise<OnnxFixture[]> {
  const hash = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex').slice(0, 16);
  const dir = join('.cache', 'convert-fixtures', `${group}-${hash}`);
  if (!existsSync(join(dir, 'index.json'))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    await promisify(execFile)('/usr/bin/python3', [SCRIPT, tmp, group], { timeout: 600_000, maxBuffer: 64 << 20 });
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Record<string, { input: number[]; opset: number }>;
  return Object.entries(index).map(([name, v]) => ({ name, path: join(dir, `${name}.onnx`), input: v.input, opset: v.opset }));
}
