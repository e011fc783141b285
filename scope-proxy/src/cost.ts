// What one query may cost Prometheus, checked before it is sent: how far back a range selector or
// subquery reaches, and how many points a subquery evaluates per series (nested subqueries
// multiply). Probing found `count_over_time(x[1d:1ms])` (86 million evaluations per series) took
// Prometheus to 3.9 GB with the viewer's rights, and a branch manager's `[7d:1ms]` ran 84 s.
// Limits per kind of scope: people with every branch may look further back; the others as far
// as the local stack keeps data (45 days), so any time range a dashboard offers still works.
import { PromQLError, type Expr } from './promql.ts';
import type { Scope } from './scope.ts';

export interface CostLimits {
  /** The longest range a selector or subquery may read (offset included). */
  maxRangeSeconds: number;
  /** Subquery evaluations per series, nested subqueries multiplied (Prometheus's own query_range cap is 11,000). */
  maxSubqueryPoints: number;
}

const DAY = 86_400;
export const COST_LIMITS: Readonly<Record<Scope['kind'], CostLimits>> = {
  all: { maxRangeSeconds: 93 * DAY, maxSubqueryPoints: 11_000 },
  branch: { maxRangeSeconds: 45 * DAY, maxSubqueryPoints: 11_000 },
  officer: { maxRangeSeconds: 45 * DAY, maxSubqueryPoints: 11_000 },
  aggregate: { maxRangeSeconds: 45 * DAY, maxSubqueryPoints: 11_000 },
};
/** A subquery without a step is evaluated at the global evaluation interval (prometheus.yml: 1m). */
const DEFAULT_SUBQUERY_STEP_SECONDS = 60;

/** A query refused for what it would cost; a PromQLError, so answered 400 like any bad query. */
export class CostError extends PromQLError {
  override name = 'CostError';
}

const UNITS: Record<string, number> = { y: 365 * DAY, w: 7 * DAY, d: DAY, h: 3600, m: 60, s: 1, ms: 0.001 };

/** Seconds in a Prometheus duration (`1h30m`, `5m`, `250ms`), as promql.ts accepted it. */
export function durationSeconds(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(n) * UNITS[unit!]!;
  return total;
}

function fmt(seconds: number): string {
  return seconds >= DAY ? `${+(seconds / DAY).toFixed(2)}d` : `${seconds}s`;
}

export function checkCost(expr: Expr, scope: Scope): void {
  const limits = COST_LIMITS[scope.kind];
  const visit = (node: Expr, points: number) => {
    if (node.kind === 'selector' || node.kind === 'subquery') {
      const reach = (node.range ? durationSeconds(node.range) : 0) + (node.offset ? durationSeconds(node.offset.replace(/^-/, '')) : 0);
      if (reach > limits.maxRangeSeconds)
        throw new CostError(`reads ${fmt(reach)} back; at most ${fmt(limits.maxRangeSeconds)} for this role`);
    }
    if (node.kind === 'subquery') {
      const step = node.step ? durationSeconds(node.step) : DEFAULT_SUBQUERY_STEP_SECONDS;
      const inner = points * (step > 0 ? durationSeconds(node.range) / step : Infinity);
      if (inner > limits.maxSubqueryPoints) {
        throw new CostError(
          `subquery [${node.range}:${node.step ?? ''}] evaluates ${Number.isFinite(inner) ? Math.round(inner).toLocaleString('en') : 'unbounded'} points per series; at most ${limits.maxSubqueryPoints.toLocaleString('en')} (use a coarser step or a shorter range)`,
        );
      }
      visit(node.expr, inner);
      return;
    }
    for (const child of childrenOf(node)) visit(child, points);
  };
  visit(expr, 1);
}

function childrenOf(e: Expr): Expr[] {
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
