/**
 * A per-request batch: every `load` made in the same turn (graphql-js resolves a
 * list's items one after another, synchronously) is answered by one call of `run`
 * with all their keys. What DataLoader does, without a cache across turns.
 */
export function batcher<K, V>(run: (keys: K[]) => Promise<V[]>): (key: K) => Promise<V> {
  let queue: { key: K; resolve: (v: V) => void; reject: (e: unknown) => void }[] = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    run(batch.map((q) => q.key)).then(
      (values) => batch.forEach((q, i) => q.resolve(values[i] as V)),
      (error: unknown) => batch.forEach((q) => q.reject(error)),
    );
  };
  return (key) =>
    new Promise<V>((resolve, reject) => {
      if (queue.length === 0) queueMicrotask(flush);
      queue.push({ key, resolve, reject });
    });
}
