// Which of an alert's annotations a scoped caller may read. Prometheus expands each annotation's
// template with the alert's labels (shown anyway), its value, and the results of any `query`
// the template runs, over all series. An annotation is withheld when its template uses the value
// and the scope could not have computed it, or runs a query (other than a string literal the
// scope could read entirely), or when its template is unknown.
import { computesInScope, readsOnlyScope } from '../reach.ts';
import type { Scope } from '../scope.ts';

const ACTION = /\{\{-?([\s\S]*?)-?\}\}/g;
const VALUE = /\$value\b|\.Value\b/;
const QUERY = /(?<![\w$.])query\b/g;
// A Go string literal right after `query`: "…" with escapes, or `…`.
const LITERAL = /^\s+(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)/;

function goString(escaped: string): string | undefined {
  try {
    return JSON.parse(`"${escaped}"`) as string;
  } catch {
    return undefined;
  }
}

/** The query strings a template runs; undefined when one is not a plain literal. */
export function templateQueries(template: string): string[] | undefined {
  const out: string[] = [];
  for (const action of template.matchAll(ACTION)) {
    const body = action[1]!;
    for (const q of body.matchAll(QUERY)) {
      const literal = LITERAL.exec(body.slice(q.index! + q[0].length));
      if (!literal) return undefined;
      const text = literal[1] !== undefined ? goString(literal[1]) : literal[2];
      if (text === undefined) return undefined;
      out.push(text);
    }
  }
  return out;
}

export function annotationVisible(template: string | undefined, ruleQuery: string, scope: Scope): boolean {
  if (scope.kind === 'all') return true;
  if (template === undefined) return false;
  if (!template.includes('{{')) return true;
  const actions = [...template.matchAll(ACTION)].map((a) => a[1]!);
  if (actions.some((a) => VALUE.test(a)) && !computesInScope(ruleQuery, scope)) return false;
  const queries = templateQueries(template);
  if (queries === undefined) return false;
  return queries.every((q) => readsOnlyScope(q, scope));
}
