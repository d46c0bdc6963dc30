/** Workflow entry points bundled for the worker. Workflow code imports activities as types only. */
export { evaluateWorkflow } from './evaluate.js';
export { evaluateModelWorkflow } from './evaluate-model.js';
