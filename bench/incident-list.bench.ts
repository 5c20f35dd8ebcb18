/**
 * GraphQL and REST incident lists against a bare Fastify route that runs the same query and
 * returns the same rows, at 100,000 incidents (issue 5: GraphQL ≥ 0.5 of the bare route).
 */
import Fastify from 'fastify';
import pg from 'pg';
import { createApp } from '#src/bootstrap.js';
import { loadConfig } from '#src/config/config.js';
import { runMigrationsLocked } from '#src/platform/database/migrator.js';
import { createTestDatabase } from '../test/support/database.js';
import type { Bench, BenchFigure } from './harness.js';
import { requestsPerSecond } from './load.js';

const INCIDENTS = 100_000;
const KEY = 'mwk_bench_admin_key_0123456789abcdef';

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `INSERT INTO incidents (status, severity, confidence, title, providers, accounts, regions, resources, first_seen_at, last_seen_at, cost_amount, techniques)
     SELECT (ARRAY['OPEN','ACKNOWLEDGED','RESOLVED'])[1 + i % 3], (ARRAY['LOW','MEDIUM','HIGH','CRITICAL'])[1 + i % 4], 40 + i % 60,
            'Cryptomining on ' || (1 + i % 50) || ' resources', ARRAY['aws'], ARRAY[lpad((i % 500)::text, 12, '0')], ARRAY['us-east-1','eu-west-1'],
            jsonb_build_array(jsonb_build_object('provider','aws','accountId','1','region','us-east-1','type','aws.ec2.instance','id','i-' || i)),
            now() - (i || ' minutes')::interval - interval '1 hour', now() - (i || ' minutes')::interval, (i % 1000) * 13.5, ARRAY['T1496']
     FROM generate_series(1, $1) AS i`,
    [INCIDENTS],
  );
  await client.query('ANALYZE incidents');
  await client.end();
}

const bench: Bench = {
  name: `incident lists at ${INCIDENTS.toLocaleString('en-US')} incidents, 20 per page, 8 concurrent clients`,
  async run(): Promise<BenchFigure[]> {
    const db = await createTestDatabase({ migrate: false });
    await runMigrationsLocked(db.url);
    await seed(db.url);
    const app = await createApp(
      loadConfig({
        MINEWATCH_API_KEY: KEY,
        MINEWATCH_RATE_LIMIT_PER_MINUTE: '0',
        LOG_LEVEL: 'silent',
        MINEWATCH_ROLE: 'api',
        MINEWATCH_DATA_DIR: '/tmp/minewatch-bench',
      }),
      db.url,
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const appUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');

    // The baseline: the list query as the repository issues it, rows straight to JSON.
    const pool = new pg.Pool({ connectionString: db.url, max: 10 });
    const bare = Fastify();
    bare.get('/incidents', async () => {
      const { rows } = await pool.query(
        `SELECT id, status, severity, confidence, title, providers, accounts, regions, resources, first_seen_at, last_seen_at,
                cost_amount, cost_currency, attack_vector, techniques, recommended_actions, created_at, updated_at
         FROM incidents WHERE merged_into_id IS NULL ORDER BY last_seen_at DESC, id DESC LIMIT 21`,
      );
      return { items: rows.slice(0, 20) };
    });
    const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

    const ok = (status: number) => {
      if (status !== 200) throw new Error(`status ${status}`);
    };
    const auth = { authorization: `Bearer ${KEY}` };
    const query =
      '{ incidents(first: 20) { edges { node { id status severity confidence title providers accounts regions firstSeenAt lastSeenAt costImpact { amount currency } techniques } } pageInfo { hasNextPage endCursor } } }';
    try {
      const baseline = await requestsPerSecond(`${bareUrl}/incidents`, {}, { check: ok });
      const rest = await requestsPerSecond(`${appUrl}/v1/incidents?limit=20`, { headers: auth }, { check: ok });
      const graphql = await requestsPerSecond(
        `${appUrl}/graphql`,
        { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ query }) },
        {
          check: (s, b) =>
            s !== 200 || b.includes('"errors"')
              ? (() => {
                  throw new Error(b.slice(0, 200));
                })()
              : undefined,
        },
      );
      return [
        {
          name: 'GraphQL incidents list',
          ratioOf: 'GraphQL req/s ÷ bare Fastify req/s',
          ratio: graphql / baseline,
          value: graphql,
          baseline,
          unit: 'req/s',
          target: 0.5,
        },
        {
          name: 'REST incidents list',
          ratioOf: 'REST req/s ÷ bare Fastify req/s',
          ratio: rest / baseline,
          value: rest,
          baseline,
          unit: 'req/s',
          target: 0.5,
        },
      ];
    } finally {
      await bare.close();
      await pool.end();
      await app.close();
      await db.drop();
    }
  },
};

export default bench;
