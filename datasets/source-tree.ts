/**
 * Source (b): an ImageNet-style tree, `<root>/<class folder>/<image file>`. Image bytes are kept
 * as they are, after a full decode check. Sample ids are `<class folder>/<file name>`.
 * Only image files (IMAGE_EXTENSIONS) directly inside class folders are ingested; other files,
 * nested folders and files in the root are ignored, as torchvision's ImageFolder would not
 * expect them either.
 */
import type { Dirent } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseClassIndex } from './class-index.js';
import { isImageFile, loadImageFiles } from './image-codec.js';
import { IngestError, errText } from './ingest-error.js';
import type { BadSample } from './ingest-error.js';
import { byId } from './source.js';
import type { SampleRef, SourcePlan } from './source.js';

/** A folder of class folders. */
export interface TreeSource {
  kind: 'tree';
  root: string;
  /**
   * Class-index file (see class-index.ts): a JSON list of folder names in index order, ImageNet's
   * `{"0": ["n01440764", "tench"], …}`, or one name per line. @default the sorted folder names
   */
  classIndex?: string;
}

/** Lists class folders and their images; images in folders missing from the class index are bad. */
export async function planTree(src: TreeSource, bad: BadSample): Promise<SourcePlan> {
  const entries = (await listDir(src.root)).filter((e) => !e.name.startsWith('.'));
  const isFolder = await Promise.all(entries.map((e) => isDirectoryEntry(src.root, e)));
  const folders = entries.filter((_, i) => isFolder[i]).map((e) => e.name).sort();
  const classes = src.classIndex ? await readClassIndex(src.classIndex) : folders;
  const labelOf = new Map(classes.map((c, i) => [c, i]));
  const samples: SampleRef[] = [];
  for (const folder of folders) {
    const dir = join(src.root, folder);
    const listed = await listDir(dir);
    const nested = await Promise.all(listed.map((e) => isDirectoryEntry(dir, e)));
    const files = listed.filter((e, i) => !nested[i] && isImageFile(e.name)).map((e) => e.name);
    const label = labelOf.get(folder);
    for (const name of files.sort()) {
      const ref = { id: `${folder}/${name}`, label: label ?? -1, file: join(dir, name) };
      if (label !== undefined) samples.push(ref);
      else bad({ sample_id: ref.id, file: dir, reason: `ingest: class folder ${dir} is not in the class index ${src.classIndex}` });
    }
  }
  if (samples.length === 0 && folders.every((f) => labelOf.has(f))) throw new IngestError(`ingest: ${src.root} holds no images in class folders`);
  return {
    classes,
    description: { kind: 'tree', root: src.root, ...(src.classIndex ? { classIndex: src.classIndex } : {}) },
    samples: samples.sort(byId),
    load: loadImageFiles,
  };
}

/** Reads a class-index file (or class-names file) into class names by index. */
export async function readClassIndex(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new IngestError(`ingest: class index ${path} cannot be read (${errText(err)})`, { cause: err });
  });
  return parseClassIndex(text, path);
}

/**
 * Whether a directory entry is a folder, following symbolic links (ImageNet subsets are often made of linked
 * class folders). A broken link is not a folder.
 */
export async function isDirectoryEntry(parent: string, e: Dirent): Promise<boolean> {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  return (await stat(join(parent, e.name)).catch(() => undefined))?.isDirectory() ?? false;
}

/** Directory entries, or an IngestError naming the folder. */
export async function listDir(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new IngestError(`ingest: folder ${dir} cannot be read (${errText(err)})`, { cause: err });
  }
}
