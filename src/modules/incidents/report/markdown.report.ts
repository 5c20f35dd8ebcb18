import { evidenceGroups, type ReportInput, reportFacts } from '#src/modules/incidents/report/incident-report.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(input: ReportInput): string {
  const f = reportFacts(input);
  const i = input.incident;
  return [
    `# Cloud Cryptomining Incident Report`,
    '',
    `**${cell(i.title)}**`,
    '',
    `| | |`,
    `|---|---|`,
    `| Incident | \`${i.id}\` |`,
    `| Status / severity / confidence | ${i.status} / ${i.severity} / ${i.confidence} of 100 |`,
    `| Account | ${cell(f.accounts)} |`,
    `| Detection | ${f.detection} |`,
    `| Sources | ${cell(f.sources)} |`,
    `| ${cell(f.miningLine.split(':')[0]!)} | ${cell(f.miningLine.split(': ').slice(1).join(': '))} |`,
    `| Regions | ${cell(f.regions)} |`,
    `| Duration | ${f.duration} |`,
    `| Estimated cost impact | ${f.cost} |`,
    `| Attack vector | ${cell(f.attackVector)} |`,
    `| MITRE ATT&CK | ${i.techniques.join(', ')} |`,
    '',
    `## ${f.findingsLabel}`,
    '',
    ...(f.findings.length ? f.findings.map(([t, n]) => `- \`${t}\`: ${n}`) : ['- none']),
    '',
    '## Containment',
    '',
    ...f.containment.map((a) => `- [ ] ${a}`),
    '',
    `## Evidence (${input.evidence.length} signals)`,
    '',
    '| rule | signals | weight | why (strongest examples) |',
    '|---|---|---|---|',
    ...evidenceGroups(input.evidence).map(
      (g) =>
        `| ${g.rule} | ${g.count} | ${g.weight.toFixed(2)} | ${g.reasons.map(cell).join('<br>')}${g.count > g.reasons.length ? `<br>… and ${g.count - g.reasons.length} more` : ''} |`,
    ),
    '',
  ].join('\n');
}
