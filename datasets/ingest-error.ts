/**
 * Errors and skip records shared by the ingest sources. Pure module.
 */

/** Bad ingest input (unreadable image, label out of range, …); not worth retrying. */
export class IngestError extends Error {
  override name = 'IngestError';
}

/** One sample left out by `skipBad`, as listed in `datasets/<name>/skipped.json`. */
export interface SkipEntry {
  /** Sample id when one is known, else the file that could not be turned into a sample. */
  sample_id: string;
  /** File (image, labels file or class folder) the problem was found in. */
  file: string;
  /** The error message the sample would have failed the ingest with. */
  reason: string;
}

/** Receives each bad sample: throws it as an IngestError, or records it when skipping. */
export type BadSample = (entry: SkipEntry) => void;

/** A BadSample that fails the ingest on the first bad sample. */
export const failOnBad: BadSample = (entry) => {
  throw new IngestError(entry.reason);
};

/** Message text of any thrown value. */
export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
