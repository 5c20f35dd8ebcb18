import { minimatch } from 'minimatch';
import type { SignalKind } from '#src/connectors/signal.js';
import type { SignalView } from '#src/modules/correlation/correlation.types.js';

/**
 * What a suppression rule matches. Every given criterion must hold. Patterns are globs, case
 * insensitive. For resource ids (ARM ids have paths) `*` stays within a segment and `**` crosses
 * them; in finding types, principals and tags a slash is an ordinary character.
 */
export interface SuppressionMatch {
  provider?: string;
  accountId?: string;
  /** Identity ARN / email / name or access key id of the signal's principal. */
  principal?: string;
  /** Any resource id of the signal. */
  resourcePattern?: string;
  /** attributes.findingType, e.g. `CryptoCurrency:EC2/*`. */
  findingType?: string;
  /** A tag on the signal or its resources (attributes.tags); without value, the key alone. */
  tag?: { key: string; value?: string };
  kinds?: SignalKind[];
}

export interface SuppressionRuleView {
  id: string;
  match: SuppressionMatch;
}

const OPTIONS = { nocase: true, dot: true, nocomment: true, nonegate: true };
const pathGlob = (value: string, pattern: string) => minimatch(value, pattern, OPTIONS);
// U+2215 (division slash) stands in for '/', so minimatch sees one segment.
const glob = (value: string | null | undefined, pattern: string) =>
  !!value && minimatch(value.replaceAll('/', '\u2215'), pattern.replaceAll('/', '\u2215'), OPTIONS);

function tagsOf(s: SignalView): Record<string, string> {
  const tags = s.attributes['tags'];
  if (!tags || typeof tags !== 'object') return {};
  if (Array.isArray(tags)) {
    // The clouds' own shapes: [{ Key, Value }] (AWS) or [{ key, value }].
    return Object.fromEntries(
      tags
        .map((t: Record<string, unknown>) => [String(t['Key'] ?? t['key'] ?? ''), String(t['Value'] ?? t['value'] ?? '')])
        .filter(([k]) => k),
    );
  }
  return Object.fromEntries(Object.entries(tags as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

export function matchesSuppression(match: SuppressionMatch, s: SignalView): boolean {
  if (match.provider && match.provider !== s.provider) return false;
  if (match.accountId && match.accountId !== s.accountId) return false;
  if (match.kinds?.length && !match.kinds.includes(s.kind)) return false;
  if (match.principal) {
    const p = s.principal;
    if (!p || ![p.identity, p.name, p.accessKeyId].some((v) => glob(v, match.principal!))) return false;
  }
  if (match.resourcePattern && !s.resources.some((r) => pathGlob(r.id, match.resourcePattern!))) return false;
  if (match.findingType && !glob(String(s.attributes['findingType'] ?? ''), match.findingType)) return false;
  if (match.tag) {
    const tags = tagsOf(s);
    const key = Object.keys(tags).find((k) => k.toLowerCase() === match.tag!.key.toLowerCase());
    if (key === undefined) return false;
    if (match.tag.value !== undefined && !glob(tags[key], match.tag.value)) return false;
  }
  return true;
}

/** The first active rule that matches, if any. */
export function suppressedBy(rules: SuppressionRuleView[], s: SignalView): string | null {
  return rules.find((r) => matchesSuppression(r.match, s))?.id ?? null;
}
