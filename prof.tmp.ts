import { readTimmCsv } from './analysis/io/timm-csv.js';
const files = Array.from({ length: 8 }, (_, m) => `/tmp/crossfix-bench/model_${String(m).padStart(2, '0')}.csv`);
for (let i = 0; i < 2; i++) { const t0 = performance.now(); await readTimmCsv(files); console.log('load s', ((performance.now() - t0) / 1000).toFixed(2)); }
