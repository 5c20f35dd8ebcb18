import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';

import { focusHeaderIssues } from '#src/connectors/focus/focus.parser.js';
import {
  issuesInBody,
  readBatches,
  StreamTooLarge,
  type ReadOptions,
  type StreamBatch,
} from '#src/modules/ingestion/streaming/record-stream.js';
import { streamPlan } from '#src/modules/ingestion/streaming/stream-plan.js';

/** The body cut into chunks of `size` bytes, so records straddle chunk boundaries. */
function body(text: string, size = 7): Readable {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

async function read(text: string, options: Partial<ReadOptions> & Pick<ReadOptions, 'format'>): Promise<StreamBatch[]> {
  const out: StreamBatch[] = [];
  for await (const batch of readBatches(body(text), { maxBytes: 1e9, batchSize: 2, ...options })) out.push(batch);
  return out;
}

const HEADER = 'ChargePeriodStart,BillingCurrency,EffectiveCost,ProviderName,SubAccountId,ChargeDescription';

describe('reading a streamed body in batches', () => {
  it('reads NDJSON across chunk boundaries, skipping blank lines and a byte-order mark, with CRLF endings', async () => {
    const batches = await read('\uFEFF{"a":1}\r\n\r\n{"a":"é"}\n{"a":3}', { format: 'ndjson' });
    assert.deepEqual(
      batches.map((b) => b.items),
      [[{ a: 1 }, { a: 'é' }], [{ a: 3 }]],
    );
    assert.deepEqual(
      batches.map((b) => [b.indexes, b.lines]),
      [
        [
          [0, 1],
          [1, 3],
        ],
        [[2], [4]],
      ],
    );
  });

  it('names an NDJSON line that is not JSON, and keeps reading the others', async () => {
    const [first, second] = await read('{"a":1}\n{"a":\n{"a":3}\n', { format: 'ndjson' });
    assert.deepEqual(
      first!.issues.map((i) => [i.index, i.field]),
      [[1, 'line 2']],
    );
    assert.match(first!.issues[0]!.message, /^malformed JSON/);
    assert.deepEqual(second!.items, [{ a: 3 }]);
  });

  it('reads CSV rows as objects keyed by the header, NULL and empty fields as null, quoted newlines kept', async () => {
    const text = `${HEADER}\n2026-11-01T00:00:00Z,USD,1.5,AWS,1,"two\nlines"\n2026-11-02T00:00:00Z,USD,NULL,AWS,,x\n2026-11-03T00:00:00Z,USD,2,AWS,1,x\n`;
    const batches = await read(text, { format: 'csv', checkHeader: focusHeaderIssues });
    const rows = batches.flatMap((b) => b.items) as Array<Record<string, unknown>>;
    assert.equal(rows.length, 3);
    assert.equal(rows[0]!['ChargeDescription'], 'two\nlines');
    assert.equal(rows[1]!['EffectiveCost'], null);
    assert.equal(rows[1]!['SubAccountId'], null);
    // A record is named by the line it ends on: the first one takes lines 2 and 3.
    assert.deepEqual(
      batches.flatMap((b) => b.lines),
      [3, 4, 5],
    );
  });

  it('reports a CSV row of the wrong length by index and line', async () => {
    const batches = await read(`${HEADER}\na,b,c,d,e,f\na,b,c\n`, { format: 'csv' });
    const issues = batches.flatMap((b) => b.issues);
    assert.deepEqual(issues, [{ index: 1, field: '/1', message: 'CSV line 3 has 3 values but the header names 6 columns' }]);
  });

  it('stops at a CSV header that is not a FOCUS export', async () => {
    const batches = await read('Date,Cost\n2026-11-01,1\n', { format: 'csv', checkHeader: focusHeaderIssues });
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0]!.items, []);
    assert.ok(batches[0]!.issues.length > 0 && batches[0]!.issues.every((i) => i.index === null));
  });

  it('fails past the byte limit', async () => {
    await assert.rejects(read('{"a":1}\n'.repeat(100), { format: 'ndjson', maxBytes: 50 }), StreamTooLarge);
  });

  it('renames a parser’s issues about a batch to the whole body', () => {
    const batch = { indexes: [5000, 5002], lines: [5002, 5004] };
    assert.deepEqual(
      issuesInBody(
        [
          { index: 1, field: '/1/EffectiveCost', message: 'must be a decimal number' },
          { index: 0, field: '/0', message: 'a FOCUS row must be a JSON object' },
          { index: null, field: '', message: 'envelope' },
        ],
        batch,
        'csv',
      ),
      [
        { index: 5002, field: '/5002/EffectiveCost', message: 'must be a decimal number (CSV line 5004)' },
        { index: 5000, field: '/5000', message: 'a FOCUS row must be a JSON object (CSV line 5002)' },
        { index: null, field: '', message: 'envelope' },
      ],
    );
    assert.equal(issuesInBody([{ index: 0, field: '/0/x', message: 'bad' }], batch, 'ndjson')[0]!.message, 'bad (line 5002)');
  });

  it('streams NDJSON for every source and CSV only where the parser reads CSV rows', () => {
    assert.deepEqual(streamPlan('aws.cloudwatch', 'application/x-ndjson; charset=utf-8'), { format: 'ndjson' });
    assert.equal(streamPlan('focus', 'text/csv')?.format, 'csv');
    assert.equal(streamPlan('azure.cost', 'text/csv'), null);
    assert.equal(streamPlan('focus', 'application/json'), null);
  });
});
