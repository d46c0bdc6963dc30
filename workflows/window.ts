/** A bounded window of concurrent work inside workflow code (deterministic: no timers, no Node built-ins). */

/**
 * Runs `work` over `items` with at most `window` in flight; results keep the order of `items`.
 * After the first failure no new item starts; the ones in flight finish, then that failure is thrown.
 */
export async function inWindow<T, R>(items: readonly T[], window: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        out[i] = await work(items[i]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, lane));
  if (failure) throw failure.error;
  return out;
}
