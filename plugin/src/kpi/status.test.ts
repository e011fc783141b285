import { KPIS, kpi, thresholdSteps } from '../../../contract/src/kpis';
import { colorFor, kpiTilesFor } from './status';

describe('KPI tiles', () => {
  it('fleet-wide scopes get every KPI of the spec with its thresholds', () => {
    const tiles = kpiTilesFor({ kind: 'all', branches: [], officer: null });
    expect(tiles.map((t) => t.expr)).toEqual(KPIS.map((k) => k.series));
    expect(tiles[0]!.steps).toEqual(thresholdSteps(KPIS[0]));
  });

  it('a branch manager gets per-branch numbers, an officer their own', () => {
    expect(
      kpiTilesFor({ kind: 'branch', branches: ['BR0001'], officer: null }).every((t) => t.perLabel === 'branch')
    ).toBe(true);
    expect(kpiTilesFor({ kind: 'officer', branches: ['BR0001'], officer: 'BR0001-FO01' })[0]!.unit).toBe('currencyINR');
  });

  it('colours values like Grafana does with the KPI thresholds', () => {
    const success = thresholdSteps(kpi('payment_success_rate'));
    expect(colorFor(success, 0.995)).toBe('green');
    expect(colorFor(success, 0.97)).toBe('orange');
    expect(colorFor(success, 0.9)).toBe('red');
    const latency = thresholdSteps(kpi('api_latency_p95'));
    expect(colorFor(latency, 0.3)).toBe('green');
    expect(colorFor(latency, 1.5)).toBe('orange');
    expect(colorFor(latency, 3)).toBe('red');
    expect(colorFor(undefined, 1)).toBeUndefined();
    expect(colorFor(latency, NaN)).toBeUndefined();
  });
});
