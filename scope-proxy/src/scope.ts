// The enforcement core: a caller's scope turned into label matchers, added to every selector of a
// query (intersected with the caller's own matchers, never replacing them), and a verifier that
// re-reads the printed query and refuses it unless every selector carries the scope.
import { checkCost } from './cost.ts';
import {
  MAX_QUERY_LENGTH,
  PromQLError,
  parsePromQL,
  parseSeriesSelector,
  print,
  printMatcher,
  printMatchers,
  printWithMatchers,
  stringValue,
  walk,
  type Expr,
  type Matcher,
} from './promql.ts';

export type Scope =
  | { kind: 'all' }
  | { kind: 'branch'; branches: string[] }
  | { kind: 'officer'; branch: string; officer: string }
  | { kind: 'aggregate'; metrics: string[] };

/** The labels a scope is defined on: a query may not write them (label_replace etc.). */
export const SCOPED_LABELS = ['branch', 'officer'] as const;

function escapeRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** What the rewriter needs to know about a scope, computed once per scope object. */
interface ScopePlan {
  /** The matchers every selector must carry (frozen, shared: never mutate). */
  required: readonly Matcher[];
  /** The same, printed as inside a selector's braces. */
  printed: string;
  /** The memo key: the whole scope. */
  key: string;
}

// Scopes are values: built once per policy load (resolveCaller memoises them) and never mutated,
// so what is derived from them can be remembered per object.
const plans = new WeakMap<Scope, ScopePlan>();

function planFor(scope: Scope): ScopePlan {
  let plan = plans.get(scope);
  if (plan === undefined) {
    const required = Object.freeze(buildScopeMatchers(scope).map((m) => Object.freeze(m)));
    plan = { required, printed: printMatchers(required), key: JSON.stringify(scope) };
    plans.set(scope, plan);
  }
  return plan;
}

/** The matchers every selector of a scoped caller must carry. Empty for `all`. */
export function scopeMatchers(scope: Scope): Matcher[] {
  return planFor(scope).required.map((m) => ({ ...m }));
}

function buildScopeMatchers(scope: Scope): Matcher[] {
  switch (scope.kind) {
    case 'all':
      return [];
    case 'branch':
      if (scope.branches.length === 0) throw new Error('branch scope without branches');
      // One branch: an equality matcher (cheapest for Prometheus's index); several: a regex
      // alternation of escaped codes (Prometheus anchors it).
      if (scope.branches.length === 1) return [{ name: 'branch', op: '=', value: scope.branches[0]! }];
      return [{ name: 'branch', op: '=~', value: scope.branches.map(escapeRegex).join('|') }];
    case 'officer':
      return [
        { name: 'branch', op: '=', value: scope.branch },
        { name: 'officer', op: '=', value: scope.officer },
      ];
    case 'aggregate':
      if (scope.metrics.length === 0) throw new Error('aggregate scope without metrics');
      // Names only. The allow-listed series carry no branch or officer: the policy loader checks
      // each is a recording rule the contract declares without them (kpi's tests check the rules
      // against the contract), and answers are filtered (seriesInScope). Matching branch="" and
      // officer="" here as well made Prometheus walk every officer's postings for each selector:
      // the viewer's status dashboard took 30x longer through the proxy than direct.
      return [{ name: '__name__', op: '=~', value: scope.metrics.map(escapeRegex).join('|') }];
  }
}

/** A query refused by policy (not by syntax): the message is safe to show the caller. */
export class ScopeError extends Error {
  override name = 'ScopeError';
}

/** Checks that do not depend on selectors: writing a scope label would forge another scope's name. */
function checkCall(node: Expr) {
  let written: string | undefined;
  if (node.kind === 'call' && (node.fn === 'label_replace' || node.fn === 'label_join')) {
    written = stringValue(node.args[1]);
    if (written === undefined) throw new ScopeError(`${node.fn}() needs a string literal as its destination label`);
  } else if (node.kind === 'aggregate' && node.op === 'count_values') {
    written = stringValue(node.param);
    if (written === undefined) throw new ScopeError('count_values() needs a string literal as its label');
  }
  if (written !== undefined && (SCOPED_LABELS as readonly string[]).includes(written)) {
    throw new ScopeError(`writing the "${written}" label is not allowed: it is how scope is recognised`);
  }
}

function checkCalls(expr: Expr, scope: Scope) {
  if (scope.kind === 'all') return;
  walk(expr, checkCall);
}

function sameMatcher(a: Matcher, b: Matcher): boolean {
  return a.name === b.name && a.op === b.op && a.value === b.value;
}

/** Adds the scope's matchers to every selector (returns a new tree). */
export function applyScope(expr: Expr, scope: Scope): Expr {
  const { required } = planFor(scope);
  if (required.length === 0) return expr;
  const rewrite = (node: Expr): Expr => {
    switch (node.kind) {
      case 'selector':
        return { ...node, matchers: [...node.matchers, ...required.map((m) => ({ ...m }))] };
      case 'subquery':
        return { ...node, expr: rewrite(node.expr) };
      case 'unary':
        return { ...node, expr: rewrite(node.expr) };
      case 'paren':
        return { ...node, expr: rewrite(node.expr) };
      case 'call':
        return { ...node, args: node.args.map(rewrite) };
      case 'aggregate':
        return node.param ? { ...node, param: rewrite(node.param), expr: rewrite(node.expr) } : { ...node, expr: rewrite(node.expr) };
      case 'binary':
        return { ...node, lhs: rewrite(node.lhs), rhs: rewrite(node.rhs) };
      default:
        return node;
    }
  };
  return rewrite(expr);
}

/** Throws unless every selector in the tree carries every matcher the scope requires. */
export function verifyScoped(expr: Expr, scope: Scope): void {
  if (scope.kind === 'all') return;
  const { required } = planFor(scope);
  // One walk for both checks: the call checks (as checkCalls) and every selector's matchers.
  walk(expr, (node) => {
    if (node.kind !== 'selector') {
      checkCall(node);
      return;
    }
    for (const m of required) {
      if (!node.matchers.some((have) => sameMatcher(have, m))) {
        throw new PromQLError(`internal: selector ${print(node)} lacks ${printMatcher(m)}`);
      }
    }
  });
}

/**
 * The one entry point for queries: parse, check, scope, print, then parse the printed text again
 * and verify that (and that printing it again gives the same text). Only the returned string may
 * be sent to Prometheus.
 */
export function rewriteQuery(query: string, scope: Scope, options: { cache?: boolean } = {}): string {
  if (options.cache === false || query.length > CACHEABLE_LENGTH) return rewriteUncached(query, scope);
  // A rewrite is a pure function of (query, scope), so answers can be remembered: dashboards send
  // the same few queries on every refresh. The key holds the whole scope, so a policy change that
  // changes someone's scope can never meet an old entry.
  const key = `${planFor(scope).key}\u0000${query}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    if (hit instanceof Error) throw hit;
    return hit;
  }
  let result: string | Error;
  try {
    result = rewriteUncached(query, scope);
  } catch (error) {
    if (!(error instanceof PromQLError) && !(error instanceof ScopeError)) throw error;
    result = error;
  }
  cache.set(key, result);
  cacheBytes += entryBytes(key, result);
  while (cache.size > CACHE_ENTRIES || cacheBytes > CACHE_BYTES) {
    const oldest = cache.keys().next().value!;
    cacheBytes -= entryBytes(oldest, cache.get(oldest)!);
    cache.delete(oldest);
  }
  if (result instanceof Error) throw result;
  return result;
}

// Bounded by count and by bytes: one caller sending long never-seen queries pinned 0.4–0.9 GB
// when only the count was bounded (a printed rewrite can be several times its query).
const CACHE_ENTRIES = 10_000;
const CACHE_BYTES = 16 * 1024 * 1024;
const CACHEABLE_LENGTH = 8 * 1024;
const cache = new Map<string, string | Error>();
let cacheBytes = 0;

/** UTF-16 strings: two bytes a character; an error is its message plus an object's overhead. */
function entryBytes(key: string, value: string | Error): number {
  return 2 * key.length + (typeof value === 'string' ? 2 * value.length : 2 * value.message.length + 200);
}

/** The rewrite memo's size, for tests and the benchmark. */
export function rewriteMemoStats(): { entries: number; bytes: number; maxBytes: number } {
  return { entries: cache.size, bytes: cacheBytes, maxBytes: CACHE_BYTES };
}

function rewriteUncached(query: string, scope: Scope): string {
  const parsed = parsePromQL(query);
  checkCost(parsed, scope);
  checkCalls(parsed, scope);
  if (scope.kind === 'all') return query;
  // Prints the tree with the scope's matchers added to every selector (applyScope + print in
  // one pass); the text is then re-parsed and verified from scratch.
  const printed = printWithMatchers(parsed, planFor(scope));
  verifyPrinted(printed, scope, parsePromQL);
  return printed;
}

/** The same for a series selector (`match[]`). */
export function rewriteSeriesSelector(selector: string, scope: Scope): string {
  const parsed = parseSeriesSelector(selector);
  if (scope.kind === 'all') return selector;
  const printed = printWithMatchers(parsed, planFor(scope));
  verifyPrinted(printed, scope, parseSeriesSelector);
  return printed;
}

// The caller's text is limited to MAX_QUERY_LENGTH; our printed form adds the scope's matchers to
// every selector, so it may be longer (a 252-term sum roughly doubles).
const PRINTED_MAX_LENGTH = 8 * MAX_QUERY_LENGTH;

function verifyPrinted(printed: string, scope: Scope, parse: (text: string, maxLength: number) => Expr) {
  let reparsed: Expr;
  try {
    reparsed = parse(printed, PRINTED_MAX_LENGTH);
  } catch (error) {
    throw new PromQLError(`internal: rewritten query does not parse (${(error as Error).message})`);
  }
  verifyScoped(reparsed, scope);
  if (print(reparsed) !== printed) throw new PromQLError('internal: rewritten query does not print back to itself');
}

/** The selector that stands for "everything in scope" where a listing has no match[]. */
export function scopeSelector(scope: Scope): string | undefined {
  const plan = planFor(scope);
  if (plan.required.length === 0) return undefined;
  return `{${plan.printed}}`;
}

function matcherHolds(m: Matcher, labels: Record<string, string>): boolean {
  const value = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test(value);
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test(value);
  }
}

/** Whether a series (its full label set, with __name__) lies inside the scope. */
export function seriesInScope(labels: Record<string, string>, scope: Scope): boolean {
  if (scope.kind === 'aggregate' && (labels.branch || labels.officer)) return false;
  return planFor(scope).required.every((m) => matcherHolds(m, labels));
}

/**
 * Whether an alert (labels without __name__) may be shown: per-branch scopes see their own
 * branch's (officer: own) alerts; the aggregate scope sees fleet-wide alerts only.
 */
export function alertInScope(labels: Record<string, string>, scope: Scope): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'branch':
      return labels.branch !== undefined && scope.branches.includes(labels.branch);
    case 'officer':
      return labels.branch === scope.branch && labels.officer === scope.officer;
    case 'aggregate':
      return !labels.branch && !labels.officer;
  }
}
