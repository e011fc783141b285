// What a scope could have computed itself. Prometheus evaluates rules and alert templates over
// every series, so an alert's value or an annotation's query result is only safe to show a
// scoped caller when it depends on nothing outside their scope. Two questions, answered from the
// expression's tree (promql.ts), never by running it:
//  - computesInScope: is each in-scope result of the expression (an alert the caller may see)
//    computed only from in-scope series? True for `branch:x > 5` (each branch's alert comes from
//    that branch's series), false for `x / on() group_left sum(x)` (the fleet total) or `sum(x)`.
//  - readsOnlyScope: does the expression read only series the caller can read? Needed for an
//    annotation's `query "…"`, whose every result may be shown whatever the alert's labels.
// Both say no to anything they cannot prove (unknown functions, unparsable text).
import { parsePromQL, type Expr, type Matcher } from './promql.ts';
import { PER_SERIES_FUNCTIONS as PER_SERIES } from './promql-words.ts';
import type { Scope } from './scope.ts';

/** Functions that read no series at all. */
const CONSTANT = new Set(['time', 'pi']);

/** The labels a scope is drawn on: results must keep them to stay attributable. */
function scopeLabels(scope: Scope): string[] {
  return scope.kind === 'officer' ? ['branch', 'officer'] : ['branch'];
}

function isScalar(e: Expr): boolean {
  switch (e.kind) {
    case 'number':
      return true;
    case 'paren':
    case 'unary':
      return isScalar(e.expr);
    case 'call':
      return e.fn === 'scalar' || CONSTANT.has(e.fn);
    case 'binary':
      return isScalar(e.lhs) && isScalar(e.rhs);
    default:
      return false;
  }
}

/** A number or string literal, or a signed number (`-1`: a sign over the number). */
function isLiteral(e: Expr): boolean {
  return e.kind === 'number' || e.kind === 'string' || (e.kind === 'unary' && e.expr.kind === 'number');
}

/** Whether each output series carrying the scope's labels depends only on inputs with the same values of them. */
function keepsScope(e: Expr, keys: readonly string[]): boolean {
  switch (e.kind) {
    case 'number':
    case 'string':
    case 'selector':
      return true;
    case 'paren':
    case 'unary':
    case 'subquery':
      return keepsScope(e.expr, keys);
    case 'call': {
      if (CONSTANT.has(e.fn)) return true;
      if (e.fn === 'vector') return e.args.every((a) => isScalar(a) && keepsScope(a, keys));
      if (e.fn === 'label_replace' || e.fn === 'label_join') {
        const dest = e.args[1];
        if (dest?.kind !== 'string' || keys.includes(dest.value)) return false;
        return keepsScope(e.args[0]!, keys);
      }
      // scalar(), absent(), absent_over_time(), info() and anything unknown read across series.
      if (!PER_SERIES.has(e.fn)) return false;
      return e.args.every((a) => keepsScope(a, keys));
    }
    case 'aggregate': {
      if (e.param && !isLiteral(e.param)) return false;
      if (e.op === 'count_values' && e.param?.kind === 'string' && keys.includes(e.param.value)) return false;
      if (!e.grouping) return false;
      const grouped = e.grouping.without
        ? keys.every((k) => !e.grouping!.labels.includes(k))
        : keys.every((k) => e.grouping!.labels.includes(k));
      return grouped && keepsScope(e.expr, keys);
    }
    case 'binary': {
      if (!keepsScope(e.lhs, keys) || !keepsScope(e.rhs, keys)) return false;
      if (isScalar(e.lhs) || isScalar(e.rhs)) return true;
      const m = e.matching;
      // Default matching pairs series with identical label sets, so the scope labels agree.
      if (!m || (!m.on && m.labels.length === 0)) return true;
      return m.on ? keys.every((k) => m.labels.includes(k)) : keys.every((k) => !m.labels.includes(k));
    }
  }
}

function metricName(matchers: readonly Matcher[]): string | undefined {
  return matchers.find((m) => m.name === '__name__' && m.op === '=')?.value;
}

/** Every selector reads only series inside the scope (by its own matchers, before any rewrite). */
function selectorsInScope(e: Expr, scope: Scope): boolean {
  let ok = true;
  const visit = (node: Expr) => {
    if (!ok) return;
    if (node.kind === 'selector') {
      const eq = (name: string) => node.matchers.find((m) => m.name === name && m.op === '=')?.value;
      switch (scope.kind) {
        case 'all':
          break;
        case 'branch':
          ok = scope.branches.includes(eq('branch') ?? '');
          break;
        case 'officer':
          ok = eq('branch') === scope.branch && eq('officer') === scope.officer;
          break;
        case 'aggregate':
          ok = scope.metrics.includes(metricName(node.matchers) ?? '');
          break;
      }
      return;
    }
    if (
      node.kind === 'call' &&
      !PER_SERIES.has(node.fn) &&
      !CONSTANT.has(node.fn) &&
      !['vector', 'scalar', 'absent', 'absent_over_time', 'label_replace', 'label_join'].includes(node.fn)
    )
      ok = false;
    for (const child of children(node)) visit(child);
  };
  visit(e);
  return ok;
}

function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'paren':
    case 'unary':
    case 'subquery':
      return [e.expr];
    case 'call':
      return e.args;
    case 'aggregate':
      return e.param ? [e.param, e.expr] : [e.expr];
    case 'binary':
      return [e.lhs, e.rhs];
    default:
      return [];
  }
}

// Rule expressions repeat on every rules request: remember answers (bounded; keys hold the scope).
const memo = new Map<string, boolean>();
const MEMO_ENTRIES = 5000;

function remember(kind: string, expr: string, scope: Scope, decide: (parsed: Expr) => boolean): boolean {
  if (scope.kind === 'all') return true;
  const key = `${kind}\u0000${JSON.stringify(scope)}\u0000${expr}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  let answer: boolean;
  try {
    answer = decide(parsePromQL(expr));
  } catch {
    answer = false; // not provable
  }
  memo.set(key, answer);
  if (memo.size > MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
  return answer;
}

/** Whether every result the scope may see (by its labels) was computed from in-scope series only. */
export function computesInScope(expr: string, scope: Scope): boolean {
  return remember('computes', expr, scope, (parsed) =>
    scope.kind === 'aggregate' ? selectorsInScope(parsed, scope) : keepsScope(parsed, scopeLabels(scope)),
  );
}

/** Whether the expression reads only series the scope can read (all of its results are in scope). */
export function readsOnlyScope(expr: string, scope: Scope): boolean {
  return remember('reads', expr, scope, (parsed) => selectorsInScope(parsed, scope));
}
