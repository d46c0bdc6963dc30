/** Build step: writes dist/workflow-bundle.js so compiled workers start without bundling. */
import { writeFile } from 'node:fs/promises';
import { buildWorkflowBundle, PREBUILT_BUNDLE } from './bundle.js';

const { code } = await buildWorkflowBundle();
await writeFile(PREBUILT_BUNDLE, code);
console.error(`build: wrote ${PREBUILT_BUNDLE} (${(code.length / 1024).toFixed(0)} KiB)`);
