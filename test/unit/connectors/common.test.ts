import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { camelize, IssueList, parseIsoDate, unwrapList } from '#src/connectors/common.js';
import { PayloadValidationError } from '#src/connectors/signal.js';

describe('parseIsoDate', () => {
  it('accepts ISO 8601 dates and date-times with a zone', () => {
    assert.equal(parseIsoDate('2024-01-31')?.toISOString(), '2024-01-31T00:00:00.000Z');
    assert.equal(parseIsoDate('2024-01-31T12:00:00Z')?.toISOString(), '2024-01-31T12:00:00.000Z');
    assert.equal(parseIsoDate('2019-10-25T00:24:41.092Z')?.toISOString(), '2019-10-25T00:24:41.092Z');
    assert.equal(parseIsoDate('2021-11-18T09:41:02-08:00')?.toISOString(), '2021-11-18T17:41:02.000Z');
    assert.equal(parseIsoDate('2024-03-12T09:15:00+0000')?.toISOString(), '2024-03-12T09:15:00.000Z');
    assert.equal(parseIsoDate('2024-02-29T00:00:00Z')?.toISOString(), '2024-02-29T00:00:00.000Z');
  });

  it('rejects placeholders, impossible dates, zoneless times and non-strings', () => {
    for (const bad of [
      'XXXX-XX-XXTXX:XX:XXZ',
      '2024-13-40T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-01-31T24:00:00Z',
      '2024-01-31T12:60:00Z',
      '2024-01-31T12:00:00',
      '2024-01-31 12:00:00Z',
      'Mar 11, 2024 9:58:02 PM',
      '',
      1710194400,
      null,
      undefined,
      {},
    ]) {
      assert.equal(parseIsoDate(bad), null, JSON.stringify(bad));
    }
  });
});

describe('camelize', () => {
  it('camelizes keys deeply and maps paths back to the original spelling', () => {
    const body = { Findings: [{ Id: 'a', Service: { EventFirstSeen: 'x', count: 1 } }] };
    const c = camelize(body);
    assert.deepEqual(c.value, { findings: [{ id: 'a', service: { eventFirstSeen: 'x', count: 1 } }] });
    assert.deepEqual(c.originalPath(['findings', 0, 'service', 'eventFirstSeen']), ['Findings', 0, 'Service', 'EventFirstSeen']);
    assert.deepEqual(c.originalPath(['findings', 0, 'service', 'count']), ['Findings', 0, 'Service', 'count']);
  });

  it('spells a missing key the way its object spells the others', () => {
    const pascal = camelize({ Id: 'a', CreatedAt: 'x' });
    assert.deepEqual(pascal.originalPath(['updatedAt']), ['UpdatedAt']);
    const camel = camelize({ id: 'a', createdAt: 'x' });
    assert.deepEqual(camel.originalPath(['updatedAt']), ['updatedAt']);
  });

  it('keeps keys such as __proto__ as plain data', () => {
    const body = JSON.parse('{"__proto__": {"Polluted": true}}') as unknown;
    const c = camelize(body);
    assert.equal(Object.getPrototypeOf(c.value), Object.prototype);
    assert.deepEqual(Object.keys(c.value as object), ['__proto__']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('IssueList and unwrapList', () => {
  it('unwraps arrays, list responses and single objects, with pointers', () => {
    const issues = new IssueList();
    assert.deepEqual(
      unwrapList([{ a: 1 }], ['Findings'], issues).map((i) => [i.index, i.pointer]),
      [[0, '/0']],
    );
    assert.deepEqual(
      unwrapList({ Findings: [{}, {}] }, ['Findings'], issues).map((i) => [i.index, i.pointer]),
      [
        [0, '/Findings/0'],
        [1, '/Findings/1'],
      ],
    );
    assert.deepEqual(
      unwrapList({ id: 'x' }, ['Findings'], issues).map((i) => [i.index, i.pointer]),
      [[0, '']],
    );
    assert.equal(issues.count, 0);
  });

  it('reports envelope problems with a null index and throws once with every issue', () => {
    const issues = new IssueList();
    unwrapList('text', ['Findings'], issues);
    unwrapList({ Findings: 'nope' }, ['Findings'], issues);
    assert.throws(
      () => issues.throwIfAny(),
      (e: unknown) =>
        e instanceof PayloadValidationError &&
        e.issues.length === 2 &&
        e.issues.every((i) => i.index === null) &&
        e.issues[1]!.field === '/Findings',
    );
  });
});
