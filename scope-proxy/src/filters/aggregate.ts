// The aggregate scope reads allow-listed series by name only (scope.ts), trusting that they carry
// no branch or officer label (checked against the contract when the policy loads). Defence in
// depth: any series in an answer that does carry one is dropped, and any branch or officer name
// listed is removed, so a misrecorded rule shows nothing per branch.
import { SCOPED_LABELS } from '../scope.ts';

export interface QueryAnswer {
  status: string;
  data?: { resultType?: string; result?: unknown };
  [key: string]: unknown;
}

const scoped = (metric: Record<string, string> | undefined) => SCOPED_LABELS.some((l) => metric?.[l]);

// What a JSON answer must hold to name a scope label: the name as a whole JSON string, or a \u
// escape (the only JSON escape that can spell a letter). Anything else cannot decode to one.
const SCOPED_NAMES = SCOPED_LABELS.map((l) => Buffer.from(JSON.stringify(l)));
const UNICODE_ESCAPE = Buffer.from('\\u');

/**
 * Whether Prometheus's answer (its bytes, as received) could carry a branch or officer label at
 * all. Almost every aggregate answer cannot, and is then relayed as received: no decode, no
 * filtering, no re-encode (those were most of the viewer's cost in the proxy).
 */
export function mayCarryScopedLabels(body: Buffer): boolean {
  return body.includes(UNICODE_ESCAPE) || SCOPED_NAMES.some((name) => body.includes(name));
}

/** Vector and matrix results without per-branch or per-officer series; how many were dropped. */
export function dropScopedSeries(answer: QueryAnswer): { answer: QueryAnswer; dropped: number } {
  const result = answer.data?.result;
  if (!Array.isArray(result)) return { answer, dropped: 0 };
  const kept = result.filter((r: { metric?: Record<string, string> }) => !scoped(r.metric));
  return { answer: { ...answer, data: { ...answer.data, result: kept } }, dropped: result.length - kept.length };
}

/** A label listing without the scope labels' names; label values of a scope label: none. */
export function dropScopedLabels(
  answer: { status: string; data?: unknown },
  labelName: string | undefined,
): { status: string; data?: unknown } {
  if (!Array.isArray(answer.data)) return answer;
  if (labelName !== undefined) return (SCOPED_LABELS as readonly string[]).includes(labelName) ? { ...answer, data: [] } : answer;
  return { ...answer, data: answer.data.filter((name) => !(SCOPED_LABELS as readonly string[]).includes(name as string)) };
}
