import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { textArrayLiteral } from '#src/modules/signals/signals.repository.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

describe('textArrayLiteral', () => {
  let db: TestDatabase;
  let client: pg.Client;
  before(async () => {
    db = await createTestDatabase({ migrate: false });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await db?.drop();
  });

  it('PostgreSQL reads back exactly the strings it was given', async () => {
    const awkward = ['', 'NULL', 'a,b', '{x}', '"quoted"', 'back\\slash', ' spaced ', 'r:aws:arn:aws:iam::123456789012:user/ci-bot', 'ü€𝄞'];
    const echo = async (values: string[]) =>
      (await client.query<{ v: string[] }>('SELECT $1::text[] AS v', [textArrayLiteral(values)])).rows[0]!.v;
    assert.deepEqual(await echo(awkward), awkward);
    assert.deepEqual(await echo([]), []);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0000')),
          { maxLength: 8 },
        ),
        async (values) => {
          assert.deepEqual(await echo(values), values);
        },
      ),
      { numRuns: 200 },
    );
  });
});
