// prometheus/alertmanager.yml: the escalation ladder, the maintenance window, inhibition and the
// receivers. Built in TypeScript so that the tests run the very same tree on a compressed clock
// with webhook receivers, and so that inhibition follows the alerts' rootCause/dependsOn.
//
// The ladder (see docs/alerting.md): each rung is a sibling route with `continue: true` and its
// own `group_wait`. Alertmanager flushes a new aggregation group once `group_wait` has passed since
// the alert's startsAt, and drops silenced alerts at that flush, so a rung with group_wait 15m
// notifies its receiver 15 minutes after the alert started firing, unless a silence (our
// acknowledgement) matched it by then.
import { Document } from 'yaml';
import { maintenanceTimeIntervals, type AlertmanagerTimeRange } from '@paywatch/contract';
import { ALERTS, type IncidentClass, type Team } from './alerts.ts';
import { AFTERMATH_ALERT, aftermathInhibitRules } from './aftermath.ts';
import { MAINTENANCE_ALERT, maintenanceInhibitRules, NOBODY } from './maintenance.ts';

export type ReceiverName = 'email-oncall' | 'email-business' | 'email-security' | 'slack' | 'pagerduty' | 'executives';
export const RECEIVERS: ReceiverName[] = ['email-oncall', 'email-business', 'email-security', 'slack', 'pagerduty', 'executives'];

/**
 * Teams told directly, at once, besides the ladder of the alert's incident class: the security
 * team hears of failed logins, rate limiting and suspicious requests (the requirements name it).
 */
export const TEAM_RECEIVERS: Partial<Record<Team, ReceiverName>> = { security: 'email-security' };
/** A team's own receiver hears at once (group_wait), before and besides the incident class's ladder. */
export const TEAM_GROUP_WAIT = '10s';

export interface Rung {
  receiver: ReceiverName;
  /** Time since the alert started firing at which this receiver is notified. */
  after: string;
}

export interface Tier {
  incidentClass: IncidentClass;
  /** Muted by the monthly maintenance window (everything but critical). */
  mutedInMaintenance: boolean;
  groupBy?: string[];
  groupInterval?: string;
  repeatInterval?: string;
  rungs: Rung[];
}

/**
 * How often a critical group is flushed again. An alert that stops being inhibited (the planned
 * maintenance window has ended and the outage is still there) or joins a group already escalated
 * is notified at the next flush: within this, so within the 5 minutes the requirement allows
 * after a window, with room for Prometheus's evaluation and send.
 */
export const CRITICAL_GROUP_INTERVAL = '2m';

/** Who hears about what, and when. */
export const LADDER: Tier[] = [
  {
    // The business cannot take payments: page at once, executives after 30 minutes.
    incidentClass: 'Sev1',
    mutedInMaintenance: false,
    groupInterval: CRITICAL_GROUP_INTERVAL,
    rungs: [
      { receiver: 'email-oncall', after: '10s' },
      { receiver: 'pagerduty', after: '10s' },
      { receiver: 'slack', after: '10s' },
      { receiver: 'executives', after: '30m' },
    ],
  },
  {
    incidentClass: 'Sev2',
    mutedInMaintenance: false,
    groupInterval: CRITICAL_GROUP_INTERVAL,
    rungs: [
      { receiver: 'email-oncall', after: '30s' },
      { receiver: 'slack', after: '5m' },
      { receiver: 'pagerduty', after: '15m' },
      { receiver: 'executives', after: '30m' },
    ],
  },
  {
    incidentClass: 'Sev3',
    mutedInMaintenance: true,
    rungs: [
      { receiver: 'email-oncall', after: '30s' },
      { receiver: 'slack', after: '15m' },
    ],
  },
  {
    // Business information: one digest email per alert name, within the hour.
    incidentClass: 'Sev4',
    mutedInMaintenance: true,
    groupBy: ['alertname'],
    groupInterval: '30m',
    repeatInterval: '24h',
    rungs: [{ receiver: 'email-business', after: '5m' }],
  },
];

export const GROUP_BY = ['alertname', 'incident_class', 'branch', 'gateway'];
/** How often a group is flushed again, unless its tier says otherwise (stack/bench/quiet-week.ts reads it too). */
export const GROUP_INTERVAL = '5m';
const REPEAT_INTERVAL = '4h';

export const MAINTENANCE_INTERVAL_NAME = 'monthly-maintenance';

export type TimeRange = AlertmanagerTimeRange;

/** The contract's maintenance window (second Sunday of the month, 02:00-05:00 IST) in Alertmanager's terms. */
export const MAINTENANCE_WINDOW: TimeRange[] = maintenanceTimeIntervals();

/** Labels that tell two alerts with the same name apart (used to let a worse level mute a milder one). */
const IDENTITY_LABELS = ['alertname', 'branch', 'gateway', 'reader', 'exporter', 'service', 'instance', 'job'];

export function inhibitRules(): Array<Record<string, unknown>> {
  const rules: Array<Record<string, unknown>> = [];
  // A worse incident class of the same alert mutes the milder ones (Sev1 mutes Sev2-4 ...).
  const classes: IncidentClass[] = ['Sev1', 'Sev2', 'Sev3', 'Sev4'];
  classes.slice(0, -1).forEach((cls, i) => {
    rules.push({
      source_matchers: [`incident_class="${cls}"`],
      target_matchers: [`incident_class=~"${classes.slice(i + 1).join('|')}"`],
      equal: IDENTITY_LABELS,
    });
  });
  // A root cause mutes its symptoms: the on-call is paged for the database, not for each of the
  // payment, API and LMS alerts that follow from it. Root causes here are fleet-wide, so no
  // `equal`: while the database is down every dependent alert is muted.
  for (const cause of ALERTS.filter((a) => a.rootCause)) {
    const symptoms = ALERTS.filter((a) => a.dependsOn?.includes(cause.rootCause!)).map((a) => a.name);
    if (symptoms.length === 0) continue;
    rules.push({
      source_matchers: [`alertname="${cause.name}"`],
      target_matchers: [`alertname=~"${symptoms.join('|')}"`],
    });
  }
  // The planned maintenance window explains the payments engine's outage and its symptoms.
  rules.push(...maintenanceInhibitRules());
  // ... and a root cause keeps explaining them after it clears, while their data still holds it (aftermath.ts).
  rules.push(...aftermathInhibitRules());
  return rules;
}

/** Where receivers send. Production: email/Slack/PagerDuty from the environment; tests: webhooks. */
export type ReceiverMode =
  | { kind: 'production'; env: Record<string, string | undefined>; secretsDir: string }
  | { kind: 'webhook'; url: (receiver: ReceiverName) => string };

export interface AlertmanagerConfigOptions {
  receivers: ReceiverMode;
  /** Multiplies every duration of the routing tree (tests run the ladder in seconds). */
  timeScale?: number;
  /** Replaces the maintenance window (tests use one that covers "now"). */
  maintenance?: TimeRange[];
  /** Template globs, relative to alertmanager.yml. */
  templates?: string[];
}

/** The environment variables production receivers read, with the example values the committed file shows. */
export const RECEIVER_ENV = {
  PAYWATCH_SMTP_SMARTHOST: 'smtp.example.invalid:587',
  PAYWATCH_SMTP_FROM: 'paywatch@example.invalid',
  PAYWATCH_SMTP_USERNAME: 'paywatch',
  /** `false` only for a relay on the same host or network segment. */
  PAYWATCH_SMTP_REQUIRE_TLS: 'true',
  PAYWATCH_ONCALL_EMAIL: 'payments-oncall@example.invalid',
  PAYWATCH_BUSINESS_EMAIL: 'finance-alerts@example.invalid',
  PAYWATCH_SECURITY_EMAIL: 'security@example.invalid',
  PAYWATCH_EXECUTIVES_EMAIL: 'executives@example.invalid',
  PAYWATCH_SLACK_CHANNEL: '#payments-alerts',
} as const;

/** Secrets are never in the config: Alertmanager 0.25 reads them from these files. */
export const SECRET_FILES = {
  smtpPassword: 'smtp_password',
  slackWebhookUrl: 'slack_webhook_url',
  pagerdutyRoutingKey: 'pagerduty_routing_key',
} as const;

/** The committed alertmanager.yml shows the example environment and this secrets directory. */
export const EXAMPLE_SECRETS_DIR = '/run/secrets/paywatch';

function scaledDuration(duration: string, scale: number): string {
  if (scale === 1) return duration;
  const units = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 } as const;
  const seconds = [...duration.matchAll(/(\d+)(ms|s|m|h|d)/g)].reduce(
    (sum, m) => sum + Number(m[1]) * units[m[2] as keyof typeof units],
    0,
  );
  return `${Math.max(1, Math.round(seconds * scale * 1000))}ms`;
}

function receivers(mode: ReceiverMode): Array<Record<string, unknown>> {
  // A receiver without integrations: what is routed to it is notified to nobody.
  return [...integrations(mode), { name: NOBODY }];
}

function integrations(mode: ReceiverMode): Array<Record<string, unknown>> {
  if (mode.kind === 'webhook') {
    return RECEIVERS.map((name) => ({ name, webhook_configs: [{ url: mode.url(name), send_resolved: true }] }));
  }
  const env = (key: keyof typeof RECEIVER_ENV) => mode.env[key] || RECEIVER_ENV[key];
  const secret = (file: string) => `${mode.secretsDir.replace(/\/+$/, '')}/${file}`;
  const email = (to: string) => ({
    to,
    send_resolved: true,
    headers: { Subject: '{{ template "paywatch.email.subject" . }}' },
    html: '{{ template "paywatch.email.html" . }}',
    text: '{{ template "paywatch.email.text" . }}',
  });
  return [
    { name: 'email-oncall', email_configs: [email(env('PAYWATCH_ONCALL_EMAIL'))] },
    { name: 'email-business', email_configs: [email(env('PAYWATCH_BUSINESS_EMAIL'))] },
    { name: 'email-security', email_configs: [email(env('PAYWATCH_SECURITY_EMAIL'))] },
    { name: 'executives', email_configs: [email(env('PAYWATCH_EXECUTIVES_EMAIL'))] },
    {
      name: 'slack',
      slack_configs: [
        {
          api_url_file: secret(SECRET_FILES.slackWebhookUrl),
          channel: env('PAYWATCH_SLACK_CHANNEL'),
          send_resolved: true,
          title: '{{ template "paywatch.title" . }}',
          title_link: '{{ template "paywatch.runbook" . }}',
          text: '{{ template "paywatch.slack.text" . }}',
        },
      ],
    },
    {
      name: 'pagerduty',
      pagerduty_configs: [
        {
          routing_key_file: secret(SECRET_FILES.pagerdutyRoutingKey),
          send_resolved: true,
          severity: '{{ if eq .CommonLabels.severity "critical" }}critical{{ else }}warning{{ end }}',
          description: '{{ template "paywatch.title" . }}',
          details: {
            summary: '{{ .CommonAnnotations.summary }}',
            impact: '{{ .CommonAnnotations.impact }}',
            branch: '{{ template "paywatch.branches" . }}',
            runbook: '{{ template "paywatch.runbook" . }}',
            incident_class: '{{ .CommonLabels.incident_class }}',
            firing: '{{ template "paywatch.text" . }}',
          },
          links: [{ href: '{{ template "paywatch.runbook" . }}', text: 'Runbook' }],
        },
      ],
    },
  ];
}

export function alertmanagerConfig(options: AlertmanagerConfigOptions): Record<string, unknown> {
  const scale = options.timeScale ?? 1;
  const d = (duration: string) => scaledDuration(duration, scale);
  const production = options.receivers.kind === 'production' ? options.receivers : undefined;
  const global: Record<string, unknown> = { resolve_timeout: '5m' };
  if (production) {
    const env = (key: keyof typeof RECEIVER_ENV) => production.env[key] || RECEIVER_ENV[key];
    Object.assign(global, {
      smtp_smarthost: env('PAYWATCH_SMTP_SMARTHOST'),
      smtp_from: env('PAYWATCH_SMTP_FROM'),
      smtp_auth_username: env('PAYWATCH_SMTP_USERNAME'),
      smtp_auth_password_file: `${production.secretsDir.replace(/\/+$/, '')}/${SECRET_FILES.smtpPassword}`,
      smtp_require_tls: env('PAYWATCH_SMTP_REQUIRE_TLS') !== 'false',
    });
  }
  const tierRoutes = LADDER.map((tier) => {
    const mute = tier.mutedInMaintenance ? { mute_time_intervals: [MAINTENANCE_INTERVAL_NAME] } : {};
    return {
      matchers: [`incident_class="${tier.incidentClass}"`],
      ...(tier.groupBy ? { group_by: tier.groupBy } : {}),
      ...(tier.groupInterval ? { group_interval: d(tier.groupInterval) } : {}),
      ...(tier.repeatInterval ? { repeat_interval: d(tier.repeatInterval) } : {}),
      routes: tier.rungs.map((rung, i) => ({
        receiver: rung.receiver,
        group_wait: d(rung.after),
        // Mute intervals are not inherited: every rung of a muted tier names the window.
        ...mute,
        ...(i < tier.rungs.length - 1 ? { continue: true } : {}),
      })),
    };
  });
  return {
    global,
    ...(options.templates?.length ? { templates: options.templates } : {}),
    route: {
      // Alerts without an incident class (none of ours) still reach the on-call by email.
      receiver: 'email-oncall',
      group_by: GROUP_BY,
      group_wait: d('30s'),
      group_interval: d(GROUP_INTERVAL),
      repeat_interval: d(REPEAT_INTERVAL),
      // PlannedMaintenance and IncidentAftermath are sources of inhibitions, not news (maintenance.ts, aftermath.ts).
      routes: [
        { matchers: [`alertname="${MAINTENANCE_ALERT}"`], receiver: NOBODY },
        { matchers: [`alertname="${AFTERMATH_ALERT}"`], receiver: NOBODY },
        // continue: the alert also climbs its incident class's ladder below.
        ...Object.entries(TEAM_RECEIVERS).map(([team, receiver]) => ({
          matchers: [`team="${team}"`],
          receiver,
          group_wait: d(TEAM_GROUP_WAIT),
          continue: true,
        })),
        ...tierRoutes,
      ],
    },
    inhibit_rules: inhibitRules(),
    time_intervals: [{ name: MAINTENANCE_INTERVAL_NAME, time_intervals: options.maintenance ?? MAINTENANCE_WINDOW }],
    receivers: receivers(options.receivers),
  };
}

const HEADER =
  ' Generated by kpi/src/generate.ts (kpi/src/alertmanager.ts). Do not edit: change the TypeScript\n' +
  ' and run `npm run generate -w @paywatch/kpi`. This copy is rendered with the example environment\n' +
  ' (PAYWATCH_* defaults in RECEIVER_ENV) and secrets under ' +
  EXAMPLE_SECRETS_DIR +
  '; a deployment renders its\n' +
  ' own with renderAlertmanagerConfig(process.env). See docs/alerting.md.';

export function alertmanagerConfigYaml(options: AlertmanagerConfigOptions): string {
  const doc = new Document(alertmanagerConfig(options));
  doc.commentBefore = HEADER;
  return doc.toString({ lineWidth: 0 });
}

/** The committed prometheus/alertmanager.yml. */
export function committedAlertmanagerYaml(): string {
  return alertmanagerConfigYaml({
    receivers: { kind: 'production', env: {}, secretsDir: EXAMPLE_SECRETS_DIR },
    templates: ['templates/*.tmpl'],
  });
}

export interface RenderedAlertmanager {
  /** alertmanager.yml content. */
  config: string;
  /** Files to write next to it (relative paths), including secrets taken from the environment. */
  files: Record<string, string>;
}

/**
 * The deployed configuration, rendered at start from the environment (Alertmanager 0.25 does not
 * expand environment variables in its config). Addresses come from PAYWATCH_* variables; secrets
 * come either as files already mounted (PAYWATCH_SECRETS_DIR, e.g. Docker/Kubernetes secrets) or
 * as PAYWATCH_SMTP_PASSWORD / PAYWATCH_SLACK_WEBHOOK_URL / PAYWATCH_PAGERDUTY_ROUTING_KEY, which
 * are written into `secrets/` beside the config (the caller writes them with mode 0600).
 */
export function renderAlertmanagerConfig(
  env: Record<string, string | undefined>,
  dir: string,
  templates: Record<string, string>,
): RenderedAlertmanager {
  const files: Record<string, string> = {};
  let secretsDir = env.PAYWATCH_SECRETS_DIR;
  if (!secretsDir) {
    secretsDir = `${dir.replace(/\/+$/, '')}/secrets`;
    const fromEnv: Record<string, string | undefined> = {
      [SECRET_FILES.smtpPassword]: env.PAYWATCH_SMTP_PASSWORD,
      [SECRET_FILES.slackWebhookUrl]: env.PAYWATCH_SLACK_WEBHOOK_URL,
      [SECRET_FILES.pagerdutyRoutingKey]: env.PAYWATCH_PAGERDUTY_ROUTING_KEY,
    };
    for (const [file, value] of Object.entries(fromEnv)) if (value) files[`secrets/${file}`] = value;
  }
  for (const [name, content] of Object.entries(templates)) files[`templates/${name}`] = content;
  return {
    config: alertmanagerConfigYaml({ receivers: { kind: 'production', env, secretsDir }, templates: ['templates/*.tmpl'] }),
    files,
  };
}
