import parquet from '@dsnp/parquetjs';
import { parquetReadObjects } from 'hyparquet';
import { Writable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';

const schema = new parquet.ParquetSchema({
  sample_id: { type: 'UTF8' }, label: { type: 'INT32' }, image: { type: 'BYTE_ARRAY', statistics: false },
} as any);
async function write(rows: any[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new Writable({ write(c, _e, cb) { chunks.push(Buffer.from(c)); cb(); } });
  const w = await parquet.ParquetWriter.openStream(schema, out as any, { rowGroupSize: rows.length || 1 });
  for (const r of rows) await w.appendRow(r);
  await w.close();
  return Buffer.concat(chunks);
}
const size = Number(process.argv[2] ?? 300);
const rows = Array.from({ length: 1000 }, (_, i) => ({ sample_id: `test-${String(i).padStart(5, '0')}`, label: i % 10, image: randomBytes(size) }));
let t = performance.now();
const a = await write(rows); const b = await write(rows);
console.log('write x2 ms', performance.now() - t, a.length, createHash('sha256').update(a).digest('hex') === createHash('sha256').update(b).digest('hex'));
for (let k = 0; k < 3; k++) {
t = performance.now();
const ab = a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength);
const h = await parquetReadObjects({ file: ab, utf8: false });
const th = performance.now() - t;
t = performance.now();
const r = await parquet.ParquetReader.openBuffer(a);
const cur = r.getCursor(); const out: any[] = []; let x; while ((x = await cur.next())) out.push(x);
await r.close();
const tp = performance.now() - t;
console.log('hyparquet', th.toFixed(1), 'parquetjs', tp.toFixed(1), typeof h[5]!.sample_id, h[5]!.label, h[5]!.image.constructor.name, out[5].image.constructor.name, typeof out[5].label,
  Buffer.compare(Buffer.from(h[5]!.image), rows[5]!.image), Buffer.compare(out[5].image, rows[5]!.image));
}
