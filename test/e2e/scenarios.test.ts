import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../scenarios/evaluate.js';
import { scenarios } from '../scenarios/index.js';

describe('correlation scenario suite', () => {
  it('finds every campaign as one incident, no look-alike at HIGH, cost within 10 %', async () => {
    const lines: string[] = [];
    const e = await evaluate(scenarios, (l) => lines.push(l));
    const detail = lines.join('\n');
    assert.equal(e.recall, 1, detail);
    assert.equal(e.precision, 1, detail);
    assert.equal(e.grouping, 1, detail);
    for (const c of e.results.flatMap((r) => r.campaigns)) {
      if (c.costError !== null) assert.ok(c.costError <= 0.1, `${c.campaign.name}: cost ${c.cost} vs ${c.campaign.cost}\n${detail}`);
    }
    assert.ok(scenarios.length >= 15, `${scenarios.length} scenarios`);
  });
});

describe('correlation does not depend on arrival order', () => {
  it('gives the same incidents for shuffled deliveries of the mining scenarios', async () => {
    const fc = (await import('fast-check')).default;
    const { leakedKeyGpuFleet, twoCampaigns } = await import('../scenarios/aws.scenarios.js');
    const { runScenario } = await import('../scenarios/evaluate.js');
    const summary = (r: Awaited<ReturnType<typeof runScenario>>) =>
      r.campaigns.map((c) => ({ account: c.campaign.account, grouped: c.grouped, severity: c.severity, cost: c.cost }));
    for (const scenario of [leakedKeyGpuFleet, twoCampaigns]) {
      const reference = summary(await runScenario(scenario));
      await fc.assert(
        fc.asyncProperty(
          fc.shuffledSubarray(scenario.steps, { minLength: scenario.steps.length, maxLength: scenario.steps.length }),
          async (steps) => {
            assert.deepEqual(summary(await runScenario({ ...scenario, steps })), reference);
          },
        ),
        { numRuns: 3, seed: 4242 },
      );
    }
  });
});
