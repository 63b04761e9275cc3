// Bounded parallelism over a list, shared by the download engine and the stage step.

/**
 * Runs `fn` over `items` with at most `limit` in flight. After the first failure, or once `signal` is
 * aborted, nothing new starts; running calls finish (nothing is left writing behind the caller's back)
 * and the first error is thrown. Hand-written because it is this small and needs stop-on-first-failure, which p-limit and
 * friends leave to the caller, and because a dependency for it is not worth its weight.
 */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      if (signal?.aborted) {
        failure = { error: signal.reason };
        return;
      }
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
