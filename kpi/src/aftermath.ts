// An incident's aftermath notifies nobody: once a root cause (LmsDown, PaymentGatewayDown, ...)
// has fired, the alerts it explains stay inhibited for as long as their own data still holds the
// outage, not only while the root cause fires.
//
// Why: Alertmanager inhibits only while the source alert fires. An alert over an hour's data
// (AvailabilityLow's hour average, PaymentFailuresHigh's hour of failures) starts firing during a
// 15-minute LMS or gateway outage, is inhibited by its root cause, and keeps firing for about an
// hour after the outage is over: inhibition ends with the outage, so it climbed the ladder on its
// own and reached the executives 30 minutes later for an incident that had been over for 15
// minutes (issue 15). The requirements send executives critical incidents still open after 30
// minutes; the incident is the outage, and an outage that lasts 30 minutes reaches them through its
// root cause's own ladder (LmsDown Sev2 -> executives at 30 min).
//
// How: for each root cause and each aftermath length among the alerts it explains (their
// `dataWindow` plus a margin, as for the planned maintenance: maintenance.ts), one rule
// `IncidentAftermath{root_cause, aftermath}` with the root cause's own condition and `for`, held
// with `keep_firing_for: <aftermath>` after the condition clears. Alertmanager routes it to nobody
// and uses it as the source of an inhibition rule for those alerts. The root cause itself is not
// touched (it resolves as before). A symptom that outlives its aftermath (a new problem, not the
// outage's data) notifies as usual; an availability loss with no root cause firing (flapping
// probes that never hold for `for`) is not inhibited at all.
import { ALERTS, alertExpr, type AlertDefinition, type RootCause } from './alerts.ts';
import { durationSeconds } from './rules.ts';

export const AFTERMATH_ALERT = 'IncidentAftermath';

/** The last scrape of the data window, one evaluation of the rule and of its `for` (as maintenance.ts). */
const AFTERMATH_MARGIN_SECONDS = 120;

/** How long after its root cause clears an alert's own data still shows the outage; undefined: it reads the present only. */
export function incidentAftermathOf(alert: AlertDefinition): string | undefined {
  if (!alert.dataWindow) return undefined;
  return `${Math.ceil((durationSeconds(alert.dataWindow) + AFTERMATH_MARGIN_SECONDS) / 60)}m`;
}

export interface AftermathSource {
  cause: AlertDefinition;
  rootCause: RootCause;
  aftermath: string;
  /** The alerts the root cause explains whose data holds the outage this long. */
  targets: string[];
}

/** One source per root cause and aftermath length, with the alerts it inhibits. */
export function aftermathSources(): AftermathSource[] {
  const sources: AftermathSource[] = [];
  for (const cause of ALERTS.filter((a) => a.rootCause)) {
    const byAftermath = new Map<string, string[]>();
    for (const symptom of ALERTS.filter((a) => a.dependsOn?.includes(cause.rootCause!))) {
      const aftermath = incidentAftermathOf(symptom);
      if (aftermath) byAftermath.set(aftermath, [...(byAftermath.get(aftermath) ?? []), symptom.name]);
    }
    for (const [aftermath, targets] of [...byAftermath].sort(([a], [b]) => durationSeconds(a) - durationSeconds(b)))
      sources.push({ cause, rootCause: cause.rootCause!, aftermath, targets });
  }
  return sources;
}

function scaled(duration: string, scale: number): string {
  if (scale === 1) return duration;
  const ms = Math.round(durationSeconds(duration) * scale * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The IncidentAftermath rules (`forScale`: tests on a compressed clock scale `for` and `keep_firing_for` alike). */
export function aftermathAlertRules(options: { forScale?: number } = {}): Array<Record<string, unknown>> {
  const scale = options.forScale ?? 1;
  return aftermathSources().map(({ cause, rootCause, aftermath, targets }) => {
    if (cause.levels.length !== 1)
      throw new Error(`root cause ${cause.name} has ${cause.levels.length} levels: an aftermath needs one condition`);
    const level = cause.levels[0]!;
    return {
      alert: AFTERMATH_ALERT,
      expr: alertExpr(cause, level.threshold ?? NaN, level),
      for: scaled(cause.for, scale),
      keep_firing_for: scaled(aftermath, scale),
      labels: { severity: 'none', team: 'platform', category: 'aftermath', root_cause: rootCause, aftermath },
      annotations: {
        summary: `${cause.name}, or less than ${aftermath} since it cleared`,
        description: `${cause.name} explains ${targets.join(', ')}: inhibited while it fires and until their data no longer covers it (${aftermath} after).`,
      },
    };
  });
}

/** Alertmanager inhibition: each IncidentAftermath rule mutes the alerts of its root cause and aftermath. */
export function aftermathInhibitRules(): Array<Record<string, unknown>> {
  return aftermathSources().map(({ rootCause, aftermath, targets }) => ({
    source_matchers: [`alertname="${AFTERMATH_ALERT}"`, `root_cause="${rootCause}"`, `aftermath="${aftermath}"`],
    target_matchers: [`alertname=~"${targets.join('|')}"`],
  }));
}
