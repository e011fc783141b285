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
