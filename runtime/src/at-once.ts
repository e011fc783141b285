// Work over a list with a fixed number of calls in flight: promtool runs on as many cores as there
// are, reports rendered a few at a time, a dashboard's panels queried the way a browser loads them.
// Written once so that every caller stops the same way on a failure.

/**
 * Calls `work` on every item, at most `atOnce` calls running at a time, starting them in the
 * items' order (a caller that sorts the costliest first keeps every worker busy to the end).
 * Resolves to the results in the items' order.
 *
 * On a failure no further item is started, and once the calls already running have settled it
 * rejects with the first error: a caller's cleanup (stopping the server the calls use) never runs
 * under calls still in flight.
 */
export async function eachAtOnce<T, R>(items: readonly T[], atOnce: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(atOnce) || atOnce < 1)
    throw new RangeError(`eachAtOnce: at once must be a whole number of at least 1, got ${atOnce}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
