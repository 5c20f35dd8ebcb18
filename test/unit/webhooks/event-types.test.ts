import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointWants, webhookTypeOf } from '#src/modules/webhooks/event-types.js';

describe('webhook event types and filters', () => {
  it('maps timeline entries to the contract event types; a merge is an update of the survivor', () => {
    const table: Array<[string, string | null]> = [
      ['incident.opened', 'incident.opened'],
      ['incident.updated', 'incident.updated'],
      ['incident.escalated', 'incident.escalated'],
      ['incident.status_changed', 'incident.status_changed'],
      ['incident.merged', 'incident.updated'],
      ['incident.merged_into', null],
      ['incident.note', null],
    ];
    for (const [timeline, webhook] of table) assert.equal(webhookTypeOf(timeline), webhook, timeline);
  });

  it('matches endpoints on event type, minimum severity and providers', () => {
    const message = { type: 'incident.opened' as const, severity: 'HIGH' as const, providers: ['aws', 'gcp'] };
    const table: Array<[Parameters<typeof endpointWants>[0], boolean]> = [
      [{ eventTypes: ['incident.opened'], minSeverity: null, providers: [] }, true],
      [{ eventTypes: ['incident.updated'], minSeverity: null, providers: [] }, false],
      [{ eventTypes: ['incident.opened'], minSeverity: 'HIGH', providers: [] }, true],
      [{ eventTypes: ['incident.opened'], minSeverity: 'MEDIUM', providers: [] }, true],
      [{ eventTypes: ['incident.opened'], minSeverity: 'CRITICAL', providers: [] }, false],
      [{ eventTypes: ['incident.opened'], minSeverity: null, providers: ['gcp'] }, true],
      [{ eventTypes: ['incident.opened'], minSeverity: null, providers: ['azure'] }, false],
    ];
    for (const [endpoint, wanted] of table) assert.equal(endpointWants(endpoint, message), wanted, JSON.stringify(endpoint));
  });
});
