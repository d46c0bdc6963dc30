/** Checks of workflow input that arrives as plain JSON (CLI, Temporal CLI, Web UI). Deterministic, no I/O. */
import { ApplicationFailure } from '@temporalio/workflow';

/** Fails without retry unless each named option is absent or a positive integer. */
export function requirePositiveIntegers<T extends object>(input: T, keys: readonly (keyof T & string)[], where: string): void {
  for (const key of keys) {
    const v = input[key] as unknown;
    if (v !== undefined && !(Number.isInteger(v) && (v as number) > 0)) {
      throw ApplicationFailure.nonRetryable(`${where}: ${key} ${JSON.stringify(v)} is not a positive integer`, 'BadInput');
    }
  }
}
