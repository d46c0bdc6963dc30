/**
 * The workflow bundle a worker runs. `npm run build` writes dist/workflow-bundle.js once, so workers started from
 * the compiled CLI start in about a second; from source (tests, tsx) the bundle is built on the fly.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowBundleOption } from '@temporalio/worker';

const here = dirname(fileURLToPath(import.meta.url));
const fromDist = here.endsWith(`${'/'}dist/worker`);

/** Path of the prebuilt bundle next to the compiled code. */
export const PREBUILT_BUNDLE = join(here, '..', 'workflow-bundle.js');

/** Builds the bundle from the workflows folder next to this file (TypeScript or compiled JavaScript). */
export async function buildWorkflowBundle(): Promise<{ code: string }> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  return bundleWorkflowCode({
    workflowsPath: join(here, '..', 'workflows', fromDist ? 'index.js' : 'index.ts'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
    webpackConfigHook: (config) => {
      config.resolve = { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } };
      return config;
    },
  });
}

/** The prebuilt bundle when running compiled code, otherwise a fresh one from source. */
export async function workflowBundle(): Promise<WorkflowBundleOption> {
  if (fromDist && existsSync(PREBUILT_BUNDLE)) return { codePath: PREBUILT_BUNDLE };
  return buildWorkflowBundle();
}
