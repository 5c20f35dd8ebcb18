import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFetchers, STREAMS } from '#src/modules/connectors-admin/fetchers/index.js';

describe('connector streams', () => {
  it('lists every fetcher of each provider, in the order a run fetches them', async () => {
    for (const provider of ['aws', 'azure', 'gcp'] as const) {
      assert.deepEqual(
        (await loadFetchers(provider)).map((f) => f.stream),
        STREAMS[provider],
        provider,
      );
    }
  });
});
