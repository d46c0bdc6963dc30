/** The one failure type the workflows never retry: input that no retry can fix. */
import { ApplicationFailure } from '@temporalio/common';

/** A non-retryable ApplicationFailure of type 'BadInput' (listed in the workflows' nonRetryableErrorTypes). */
export function badInput(message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'BadInput', nonRetryable: true, cause: cause as Error | undefined });
}
