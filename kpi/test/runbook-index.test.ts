// A threshold is written once (issue 11): the runbook index and docs/alerting.md's threshold tables
// are generated from the alert declarations and the contract, so changing a level in the contract
// changes them, and the staleness check fails until they are regenerated.
//
// This file imports the generator only after changing the contract in memory (the alerts read
// their levels when their module loads), so it imports nothing from kpi/src statically.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BURN_WINDOWS, kpi, SERVER_THRESHOLDS, SLOS } from '@paywatch/contract';

test('a level changed in the contract changes the runbook index, docs/alerting.md and the runbook, and makes them stale', async () => {
  // Figures no level uses today, so finding them proves they came from the change.
  kpi('payment_success_rate').warning = 0.975;
  (SERVER_THRESHOLDS.replicationLagSeconds as { warning: number }).warning = 45;
  (BURN_WINDOWS[0] as { burnRate: number }).burnRate = 13.5;
  kpi('availability').target = 0.9995;
  const { generatedFiles, staleFiles } = await import('../src/generate.ts');
  const files = generatedFiles();
  const index = files['docs/runbooks/README.md']!;
  const alerting = files['docs/alerting.md']!;

  assert.match(
    index,
    /\| \[PaymentSuccessRateLow\]\(PaymentSuccessRateLow\.md\) \| Payment success rate below 97\.5% \(Sev3\) \/ 95% \(Sev2\)/,
  );
  assert.match(index, /Standby \{application_name\} is more than 45s \(Sev3\) \/ 5m \(Sev2\) behind/);
  assert.match(index, /error budget burning 13\.5x over 1h \(Sev2\)/);
  assert.doesNotMatch(index, /below 98% \(Sev3\)|more than 30s \(Sev3\)|14\.4x/);

  assert.match(alerting, /more than 45s \(Sev3\)/, 'server-alerts block');
  assert.match(alerting, /\| 1h \| 5m \| 13\.5x \|/, 'burn-windows block');
  assert.match(alerting, /\| System availability \| `availability` \| 99\.95 % \(the KPI's target\) \| 0\.05 % of/, 'slo-objectives block');
  assert.ok(SLOS.some((s) => s.kpi === 'availability'));

  assert.match(files['docs/runbooks/PaymentSuccessRateLow.md']!, /< 0\.975 and on \(\)/, "the runbook's own table");

  const stale = staleFiles();
  for (const path of [
    'docs/runbooks/README.md',
    'docs/alerting.md',
    'docs/runbooks/PaymentSuccessRateLow.md',
    'prometheus/rules/alerts.yml',
  ])
    assert.ok(stale.includes(path), `${path} is not reported stale after the contract changed: ${stale.join(', ')}`);
});
