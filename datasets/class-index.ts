/**
 * Class-index files: which class name has which index. Pure module.
 *
 * Accepted forms (the first character decides between JSON and text):
 * - a JSON list of class names in index order: `["n01440764", "n01443537", …]`;
 * - ImageNet's `imagenet_class_index.json`: `{"0": ["n01440764", "tench"], …}` — the class name
 *   is the first element (the WordNet id, which is also the class folder name; the readable
 *   names are not unique in ImageNet, e.g. two classes are called "crane");
 * - text, one class per line, the name being the first word: `LOC_synset_mapping.txt`
 *   (`n01440764 tench, Tinca tinca`) or a plain list of names.
 */
import { IngestError } from './ingest-error.js';

/**
 * Parses a class-index file's text into class names by index.
 * @param file path named in error messages
 */
export function parseClassIndex(text: string, file: string): string[] {
  const trimmed = text.trim();
  const names = trimmed.startsWith('[') || trimmed.startsWith('{') ? parseJson(trimmed, file) : parseLines(trimmed);
  if (names.length === 0) throw new IngestError(`ingest: class index ${file} lists no classes`);
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    const first = seen.get(n);
    if (first !== undefined) throw new IngestError(`ingest: class index ${file} lists class ${n} twice (${first} and ${i})`);
    seen.set(n, i);
  });
  return names;
}

function parseJson(text: string, file: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new IngestError(`ingest: class index ${file} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (Array.isArray(value)) return value.map((v, i) => nameAt(v, String(i), file));
  const map = value as Record<string, unknown>;
  return Object.keys(map).map((_, i) => {
    const entry = map[String(i)];
    if (entry === undefined) throw new IngestError(`ingest: class index ${file} has no entry "${i}"`);
    return nameAt(Array.isArray(entry) ? entry[0] : entry, String(i), file);
  });
}

function nameAt(v: unknown, at: string, file: string): string {
  if (typeof v !== 'string' || v === '') {
    throw new IngestError(`ingest: class index ${file} entry ${at} is ${JSON.stringify(v)}, expected a class name`);
  }
  return v;
}

function parseLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(/\s+/)[0]!);
}
