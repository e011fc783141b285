// The planned maintenance window in Prometheus and Alertmanager: what the planned downtime causes
// notifies nobody, and an outage that outlives the window notifies as soon as it ends.
//
// The contract's window (second Sunday of the month, 02:00-05:00 IST) takes the payments engine
// down. Prometheus records the window from its own clock (paywatch:maintenance_window:active) and
// raises `PlannedMaintenance`, which Alertmanager routes to nobody and uses as the source of
// inhibition rules: during the window it inhibits the payments engine's outage (SystemDown) and
// everything that outage explains; after the window it keeps inhibiting each symptom only as long
// as the symptom's own data still holds the downtime (its `dataWindow`, e.g. an hour's
// availability average), so the aftermath of a planned downtime does not page either.
//
// Why inhibition and not a mute time interval: an inhibited alert is notified at its group's next
// flush once the source resolves, and a flush of a group with nothing notified yet sends; the
// critical tiers flush every CRITICAL_GROUP_INTERVAL, so an outage still there when the window
// ends reaches its ladder within that interval plus one rule evaluation. (Muting the whole tier
// would also mute outages the maintenance did not cause, e.g. a gateway down at 03:00.)
import { ALERTS, type AlertDefinition, type RootCause } from './alerts.ts';
import { maintenancePromql, MAINTENANCE } from '@paywatch/contract';
import { durationSeconds } from './rules.ts';

/** What the planned window takes down: the payments engine (the simulator does exactly that). */
export const MAINTENANCE_TAKES_DOWN: RootCause = 'payments-api';

export const MAINTENANCE_ALERT = 'PlannedMaintenance';
/** The receiver with no integrations: PlannedMaintenance is a fact for inhibition and dashboards, not news. */
export const NOBODY = 'nobody';

/**
 * Margin after a symptom's data window: the last scrape of the window and one evaluation of the
 * rule and of its `for` must pass before the symptom's condition clears.
 */
const AFTERMATH_MARGIN_SECONDS = 120;

/** The alerts the planned downtime causes: the outage itself and what depends on it. */
export function causedByMaintenance(): AlertDefinition[] {
  return ALERTS.filter((a) => a.rootCause === MAINTENANCE_TAKES_DOWN || a.dependsOn?.includes(MAINTENANCE_TAKES_DOWN));
}

/** How long after the window an alert's data still shows the downtime ("0m": the outage itself, inhibited during the window only). */
export function aftermathOf(alert: AlertDefinition): string {
  if (!alert.dataWindow || alert.rootCause === MAINTENANCE_TAKES_DOWN) return '0m';
  return `${Math.ceil((durationSeconds(alert.dataWindow) + AFTERMATH_MARGIN_SECONDS) / 60)}m`;
}

/** One PlannedMaintenance rule per aftermath length, with the alerts each one inhibits. */
export function maintenanceSources(): Array<{ aftermath: string; targets: string[] }> {
  const byAftermath = new Map<string, string[]>();
  for (const alert of causedByMaintenance()) {
    const aftermath = aftermathOf(alert);
    byAftermath.set(aftermath, [...(byAftermath.get(aftermath) ?? []), alert.name]);
  }
  return [...byAftermath]
    .sort(([a], [b]) => durationSeconds(a) - durationSeconds(b))
    .map(([aftermath, targets]) => ({ aftermath, targets }));
}

export function maintenanceAlertRules(): Array<Record<string, unknown>> {
  return maintenanceSources().map(({ aftermath, targets }) => ({
    alert: MAINTENANCE_ALERT,
    // From the clock, like the recorded window, so it does not wait for another group's evaluation.
    expr: maintenancePromql(MAINTENANCE, durationSeconds(aftermath) / 60),
    labels: { severity: 'none', team: 'platform', category: 'maintenance', aftermath },
    annotations: {
      summary:
        aftermath === '0m'
          ? 'Planned maintenance: the payments engine is down on purpose'
          : `Planned maintenance, or less than ${aftermath} since it ended`,
      description:
        `The planned downtime explains ${targets.join(', ')}` +
        (aftermath === '0m'
          ? ': inhibited while the window lasts.'
          : `: inhibited until their data no longer covers the window (${aftermath} after it).`),
    },
  }));
}

/** Alertmanager inhibition: each PlannedMaintenance rule mutes the alerts of its aftermath. */
export function maintenanceInhibitRules(): Array<Record<string, unknown>> {
  return maintenanceSources().map(({ aftermath, targets }) => ({
    source_matchers: [`alertname="${MAINTENANCE_ALERT}"`, `aftermath="${aftermath}"`],
    target_matchers: [`alertname=~"${targets.join('|')}"`],
  }));
}
