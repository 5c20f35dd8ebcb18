/** A fixed-concurrency HTTP load loop on loopback, bounded in time: requests per second. */
export async function requestsPerSecond(
  url: string,
  init: RequestInit,
  options: { concurrency?: number; ms?: number; check?: (status: number, body: string) => void } = {},
): Promise<number> {
  const { concurrency = 8, ms = 4000, check } = options;
  // Warm-up: JIT, connection pool, plan caches.
  for (let i = 0; i < 50; i++) await (await fetch(url, init)).text();
  let done = 0;
  const deadline = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const res = await fetch(url, init);
        const body = await res.text();
        check?.(res.status, body);
        done++;
      }
    }),
  );
  return (done * 1000) / (performance.now() - start);
}
