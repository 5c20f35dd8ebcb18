import { evidenceGroups, type ReportInput, reportFacts } from '#src/modules/incidents/report/incident-report.js';

/** The plain-text report an analyst pastes into a ticket or a chat. */
export function renderText(input: ReportInput): string {
  const f = reportFacts(input);
  const i = input.incident;
  const lines = [
    'Cloud Cryptomining Incident Report',
    `Incident: ${i.id}   Status: ${i.status}   Severity: ${i.severity}   Confidence: ${i.confidence}/100`,
    `Account: ${f.accounts}   Detection: ${f.detection}   Sources: ${f.sources}`,
    `${f.miningLine}   Regions: ${f.regions}`,
    `Duration: ${f.duration}   Estimated cost impact: ${f.cost}`,
    `Attack vector: ${f.attackVector}`,
    `${f.findingsLabel}: ${f.findings.map(([t, n]) => `${t}: ${n}`).join(', ') || 'none'}`,
    `MITRE ATT&CK: ${i.techniques.join(', ')}`,
    'Containment:',
    ...f.containment.map((a) => `  [ ] ${a}`),
    '',
    `Evidence (${input.evidence.length} signals):`,
    ...evidenceGroups(input.evidence).flatMap((g) => [
      `  ${g.rule} × ${g.count} (weight ${g.weight.toFixed(2)})`,
      ...g.reasons.map((r) => `    - ${r}`),
      ...(g.count > g.reasons.length ? [`    … and ${g.count - g.reasons.length} more`] : []),
    ]),
  ];
  return lines.join('\n') + '\n';
}
