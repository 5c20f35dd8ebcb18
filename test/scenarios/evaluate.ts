/**
 * Runs scenarios through the real service (HTTP ingest, the correlation engine, PostgreSQL) and
 * scores the incidents it makes. Definitions, as `npm run eval` prints them:
 * - recall: expected campaigns that got an incident of at least MEDIUM severity;
 * - precision: of the incidents at HIGH or CRITICAL, those that belong to an expected campaign
 *   (look-alikes must never reach HIGH);
 * - grouping: campaigns held by exactly one incident that holds every mining detection of the
 *   campaign and nothing of another campaign, at or above the campaign's expected severity;
 * - cost-impact error: |incident cost − expected| ÷ expected, averaged over campaigns with a cost.
 */
import { startTestApp } from '../support/app.js';
import type { ExpectedCampaign, Scenario } from './scenario.js';

const RANK = { LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 3 } as const;

interface IncidentView {
  id: string;
  severity: keyof typeof RANK;
  accounts: string[];
  costImpact: { amount: number };
  evidence: Array<{ signal: { id: string } }>;
}

export interface CampaignResult {
  campaign: ExpectedCampaign;
  detected: boolean;
  grouped: boolean;
  severity: string | null;
  cost: number | null;
  costError: number | null;
}

export interface ScenarioResult {
  scenario: string;
  campaigns: CampaignResult[];
  incidents: Array<{ id: string; severity: string; accounts: string[]; cost: number; matched: boolean }>;
  falsePositives: number;
  truePositives: number;
}

export interface Evaluation {
  results: ScenarioResult[];
  recall: number;
  precision: number;
  grouping: number;
  costError: number;
}

export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  // The engine is driven by settle(), not a timer, so each step is correlated before the next.
  const t = await startTestApp({ MINEWATCH_CORRELATION_POLL_MS: '3600000', LOG_LEVEL: 'silent' });
  try {
    for (const step of scenario.steps) {
      if ('transition' in step) {
        const { items } = (await t.http.get(`/v1/incidents?account=${step.transition.account}&limit=100`).set(t.auth).expect(200)).body as {
          items: Array<{ id: string }>;
        };
        for (const i of items)
          await t.http.patch(`/v1/incidents/${i.id}`).set(t.auth).send({ status: step.transition.to, note: 'scenario step' }).expect(200);
        continue;
      }
      const query = step.query ? `?${new URLSearchParams(step.query).toString()}` : '';
      const body = typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
      const res = await t.http
        .post(`/v1/ingest/${step.source}${query}`)
        .set(t.auth)
        .set('content-type', step.contentType ?? 'application/json')
        .send(body);
      if (res.status !== 200) throw new Error(`${scenario.name}: ${step.source} answered ${res.status}: ${res.text.slice(0, 500)}`);
      await t.settle();
    }
    const { items } = (await t.http.get('/v1/incidents?limit=100').set(t.auth).expect(200)).body as { items: Array<{ id: string }> };
    const incidents: IncidentView[] = [];
    for (const i of items) incidents.push((await t.http.get(`/v1/incidents/${i.id}`).set(t.auth).expect(200)).body);

    const miningByAccount = new Map<string, Set<string>>();
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page = (
        await t.http
          .get(`/v1/signals?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
          .set(t.auth)
          .expect(200)
      ).body as {
        items: Array<{ id: string; accountId: string; mining: boolean; kind: string }>;
        nextCursor: string | null;
      };
      for (const s of page.items) {
        if (!s.mining) continue;
        miningByAccount.set(s.accountId, new Set([...(miningByAccount.get(s.accountId) ?? []), s.id]));
      }
      cursor = page.nextCursor;
    }

    const campaignAccounts = new Set(scenario.campaigns.map((c) => c.account));
    const campaigns = scenario.campaigns.map((campaign): CampaignResult => {
      const matching = incidents.filter((i) => i.accounts.includes(campaign.account));
      const reported = matching.filter((i) => RANK[i.severity] >= RANK.MEDIUM);
      const one = matching.length === 1 ? matching[0]! : null;
      const held = new Set(one?.evidence.map((e) => e.signal.id) ?? []);
      const allDetections = [...(miningByAccount.get(campaign.account) ?? [])].every((id) => held.has(id));
      const foreign = one ? one.accounts.some((a) => a !== campaign.account && campaignAccounts.has(a)) : true;
      const cost = one?.costImpact.amount ?? null;
      return {
        campaign,
        detected: reported.length > 0,
        grouped: !!one && allDetections && !foreign && RANK[one.severity] >= RANK[campaign.minSeverity],
        severity: one?.severity ?? matching.map((i) => i.severity).join('+') ?? null,
        cost,
        costError: campaign.cost === undefined || cost === null ? null : Math.abs(cost - campaign.cost) / campaign.cost,
      };
    });
    const view = incidents.map((i) => ({
      id: i.id,
      severity: i.severity,
      accounts: i.accounts,
      cost: i.costImpact.amount,
      matched: i.accounts.some((a) => campaignAccounts.has(a)),
    }));
    const high = view.filter((i) => RANK[i.severity as keyof typeof RANK] >= RANK.HIGH);
    return {
      scenario: scenario.name,
      campaigns,
      incidents: view,
      truePositives: high.filter((i) => i.matched).length,
      falsePositives: high.filter((i) => !i.matched).length,
    };
  } finally {
    await t.close();
  }
}

export async function evaluate(scenarios: Scenario[], log: (line: string) => void = () => undefined): Promise<Evaluation> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const r = await runScenario(scenario);
    results.push(r);
    const campaigns = r.campaigns.map(
      (c) =>
        `${c.campaign.name}: ${c.detected ? 'found' : 'MISSED'}, ${c.grouped ? 'one incident' : 'NOT grouped'}, ${c.severity}${c.costError === null ? '' : `, cost ${c.cost} (error ${(c.costError * 100).toFixed(1)} %)`}`,
    );
    log(
      `${r.scenario}: ${r.incidents.length} incident(s)${campaigns.length ? `; ${campaigns.join('; ')}` : ' (look-alike)'}${r.falsePositives ? `; ${r.falsePositives} FALSE POSITIVE(S) at HIGH+` : ''}`,
    );
  }
  const all = results.flatMap((r) => r.campaigns);
  const tp = results.reduce((n, r) => n + r.truePositives, 0);
  const fp = results.reduce((n, r) => n + r.falsePositives, 0);
  const costs = all.filter((c) => c.costError !== null).map((c) => c.costError!);
  return {
    results,
    recall: all.length ? all.filter((c) => c.detected).length / all.length : 1,
    precision: tp + fp ? tp / (tp + fp) : 1,
    grouping: all.length ? all.filter((c) => c.grouped).length / all.length : 1,
    costError: costs.length ? costs.reduce((a, b) => a + b, 0) / costs.length : 0,
  };
}
