#!/usr/bin/env node
// crossfix CLI: runs the compiled code in dist/ (npm run build), so starting it does not transpile anything.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error("crossfix: dist/ is missing; run 'npm run build' (or 'npm run setup && npm run build') first");
  process.exit(1);
}
const { main } = await import(entry.href);
await main();
