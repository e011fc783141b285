// Which KPI numbers the Home page shows a person, by their scope, and how a value is coloured.
// Fleet-wide KPIs come from the one KPI spec (contract/src/kpis.ts), with its thresholds; people with a
// branch or officer scope get their own numbers (the scope proxy filters every query, so a branch
// manager asking for branch:* series only ever receives their branches).
import { KPIS, kpi, thresholdSteps, type ThresholdStep } from '../../../contract/src/kpis';
import type { Scope } from '../api/whoami';

export interface KpiTile {
  key: string;
  title: string;
  description: string;
  expr: string;
  unit: string;
  /** Threshold colours from the KPI spec; absent where no KPI stands behind the number. */
  steps?: ThresholdStep[];
  /** One value per value of this label (e.g. one per branch). */
  perLabel?: string;
}

export function kpiTilesFor(scope: Scope): KpiTile[] {
  if (scope.kind === 'all' || scope.kind === 'aggregate') {
    return KPIS.map((k) => ({
      key: k.id,
      title: k.title,
      description: k.description,
      expr: k.series,
      unit: k.unit,
      steps: thresholdSteps(k),
    }));
  }
  if (scope.kind === 'branch') {
    const success = kpi('payment_success_rate');
    return [
      {
        key: 'branch_success',
        title: success.title,
        description: 'Share of payments that succeeded in your branch (last 5 min).',
        expr: 'branch:payment_success_ratio:rate5m',
        unit: success.unit,
        steps: thresholdSteps(success),
        perLabel: 'branch',
      },
      {
        key: 'branch_vs_target',
        title: 'Collections vs target',
        description: "Collected today as a share of today's target.",
        expr: 'branch:collections_vs_target:ratio',
        unit: 'percentunit',
        perLabel: 'branch',
      },
      {
        key: 'branch_failures',
        title: 'Payment failures (last hour)',
        description: 'Failed payments in your branch in the last hour.',
        expr: 'branch:payment_failures:increase1h',
        unit: 'short',
        perLabel: 'branch',
      },
      {
        key: 'branch_overdue',
        title: 'Overdue reconciliations',
        description: 'Pending reconciliations past their due time.',
        expr: 'reconciliation_overdue',
        unit: 'short',
        perLabel: 'branch',
      },
    ];
  }
  return [
    {
      key: 'officer_collected',
      title: 'Collected (last 24 h)',
      description: 'INR you collected with OTP verified in the last 24 hours.',
      expr: 'sum(officer:field_collection_amount_inr:increase1d)',
      unit: 'currencyINR',
    },
    {
      key: 'officer_otp',
      title: 'OTP success',
      description: 'Share of your collections whose OTP was verified (last 24 h).',
      expr: 'sum(officer:field_collections:increase1d{otp="verified"}) / sum(officer:field_collections:increase1d)',
      unit: 'percentunit',
    },
    {
      key: 'officer_unconfirmed',
      title: 'Awaiting branch confirmation',
      description: 'Your OTP-verified collections the branch has not confirmed yet.',
      expr: 'sum(field_collections_unconfirmed)',
      unit: 'short',
    },
  ];
}

/** The colour name (green/orange/red) of a value under Grafana's "from this value up" steps. */
export function colorFor(steps: ThresholdStep[] | undefined, value: number): ThresholdStep['color'] | undefined {
  if (!steps || !Number.isFinite(value)) {
    return undefined;
  }
  let color: ThresholdStep['color'] | undefined;
  for (const step of steps) {
    if (step.value === null || value >= step.value) {
      color = step.color;
    }
  }
  return color;
}
