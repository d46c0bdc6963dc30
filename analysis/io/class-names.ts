/**
 * Class names for `--class-names FILE`: a JSON array of strings, or one name per line.
 * `parseClassNames` is pure; `readClassNames` reads the file.
 */
import { readFile } from 'node:fs/promises';

/**
 * Parses class names from a file's text. Text starting with `[` is a JSON array of strings;
 * anything else is one name per line (surrounding whitespace trimmed, trailing blank lines dropped).
 * `source` names the file in error messages.
 */
export function parseClassNames(text: string, source: string): string[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new Error(`class-names: ${source} is empty`);
  return trimmed.startsWith('[') ? parseJsonNames(trimmed, source) : parseLines(trimmed, source);
}

function parseJsonNames(text: string, source: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`class-names: ${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const names = value as unknown[];
  const bad = names.findIndex((n) => typeof n !== 'string');
  if (bad >= 0)
    throw new Error(`class-names: ${source} entry ${bad} is ${JSON.stringify(names[bad])}, expected a string`);
  return names as string[];
}

function parseLines(text: string, source: string): string[] {
  const names = text.split(/\r?\n/).map((line) => line.trim());
  const blank = names.indexOf('');
  if (blank >= 0) throw new Error(`class-names: ${source} line ${blank + 1} is blank, expected a class name`);
  return names;
}

/** Reads and parses a class-names file (JSON array or one name per line). */
export async function readClassNames(path: string): Promise<string[]> {
  return parseClassNames(await readFile(path, 'utf8'), path);
}
