/** Object keys of a registered model: `models/<name>/…`. Pure. */

export function modelPrefix(name: string): string {
  return `models/${name}`;
}
/** The TF.js model.json; weight files sit beside it under the names its manifest gives. */
export function modelJsonKey(name: string): string {
  return `${modelPrefix(name)}/model.json`;
}
export function modelCardKey(name: string): string {
  return `${modelPrefix(name)}/crossfix-model.json`;
}
/** `{ "digest": "<sha256 hex>" }`, written last when a model is registered. */
export function modelDigestKey(name: string): string {
  return `${modelPrefix(name)}/digest.json`;
}
