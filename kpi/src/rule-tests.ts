// promtool unit tests of the generated rules, written as data and generated into
// prometheus/tests/*.yml (run them by hand with `promtool test rules prometheus/tests/*.yml`).
// Every alert has a case where each of its levels fires, with labels and annotations checked
// exactly (the descriptions below are what Prometheus renders, written out by hand), and a case
// just inside its mildest threshold where nothing fires. Every test names its `interval` (samples are that far apart).
import { Document, parse } from 'yaml';
import { alertByName, ratioVolumeFloor, type IncidentClass } from './alerts.ts';
import { aftermathSources, AFTERMATH_ALERT } from './aftermath.ts';
import { alertRule, durationSeconds, GENERATED_HEADER, ruleFiles, runbookUrl } from './rules.ts';
import { SERVER_ALERT_CASES, SERVER_RECORDING_CASES } from './rule-tests-servers.ts';
import { PACE_TEST_FILES } from './pace-tests.ts';
import { SECURITY_CASES } from './security-tests.ts';
import { SLO_TEST_FILES } from './slo-tests.ts';
import { ratioTestFiles } from './kpi-ratios.ts';

export interface Series {
  series: string;
  values: string;
}

export interface ExpectedAlert {
  incidentClass: IncidentClass;
  /** The level's own labels, where levels share an incident class (burn-rate windows: `long_window`). */
  levelLabels?: Record<string, string>;
  /** Labels of the series beyond the rule's own (branch, instance, ...). */
  labels?: Record<string, string>;
  /** The rendered description (with the live value). */
  description: string;
}

export interface AlertCase {
  alert: string;
  /** What the case shows. */
  name: string;
  input: Series[];
  evalTime: string;
  /** Empty: the case shows the alert does not fire. */
  expect: ExpectedAlert[];
}

export interface RecordingCase {
  name: string;
  input: Series[];
  evalTime: string;
  /** A check may name its own evaluation time (default: the case's). */
  checks: Array<{ expr: string; evalTime?: string; samples: Array<{ labels: string; value: number }> }>;
}

export interface TestFile {
  /** File name under prometheus/tests/. */
  file: string;
  interval: string;
  /** Rule files under prometheus/rules/ it loads (default: recording.yml and alerts.yml). */
  ruleFiles?: string[];
  /**
   * Evaluate the recording groups before the alerting ones at each step: with steps longer than
   * Prometheus's 5-minute lookback an alert must read this step's windows, not the last step's.
   */
  recordingFirst?: boolean;
  alertCases: AlertCase[];
  recordingCases: RecordingCase[];
}

const s = (series: string, values: string): Series => ({ series, values });

const api = (status: string, perMinute: number, route = '/api/payments') =>
  s(
    `http_request_duration_seconds_count{service="payments-api", route="${route}", method="POST", status="${status}"}`,
    `0+${perMinute}x30`,
  );

/** Cumulative histogram buckets with all requests between `low` and `high` seconds. */
function apiBuckets(high: number, perMinute: number): Series[] {
  const les = ['0.025', '0.05', '0.1', '0.25', '0.5', '1', '2', '5', '10', '+Inf'];
  return les.map((le) =>
    s(
      `http_request_duration_seconds_bucket{service="payments-api", route="/api/payments", method="POST", status="200", le="${le}"}`,
      le === '+Inf' || Number(le) >= high ? `0+${perMinute}x30` : '0x30',
    ),
  );
}

const payments = (successPerMinute: number, failedPerMinute: number) => [
  s('payments_total{branch="BR0001", channel="upi", status="success"}', `0+${successPerMinute}x30`),
  s('payments_total{branch="BR0001", channel="upi", status="failed"}', `0+${failedPerMinute}x30`),
];

const processing = (avgSeconds: number) => [
  s('payment_processing_seconds_sum{channel="upi"}', `0+${avgSeconds * 10}x30`),
  s('payment_processing_seconds_count{channel="upi"}', '0+10x30'),
  // Cash is confirmed hours later; it must not count towards real-time processing time.
  s('payment_processing_seconds_sum{channel="cash"}', '0+36000x30'),
  s('payment_processing_seconds_count{channel="cash"}', '0+10x30'),
];

const rfid = (success: number, denied: number, error: number) => [
  s('rfid_verifications_total{branch="BR0003", result="success"}', `0+${success}x30`),
  s('rfid_verifications_total{branch="BR0003", result="denied"}', `0+${denied}x30`),
  s('rfid_verifications_total{branch="BR0003", result="error"}', `0+${error}x30`),
];

const mandates = (success: number, failed: number) => [
  s('mandate_registrations_total{branch="BR0004", channel="nach", status="success"}', `0+${success}x90`),
  s('mandate_registrations_total{branch="BR0004", channel="nach", status="failed"}', `0+${failed}x90`),
];

const lmsPostings = (posted: number, failed: number) => [
  s('lms_postings_total{branch="BR0001", outcome="posted"}', `0+${posted}x40`),
  s('lms_postings_total{branch="BR0001", outcome="failed"}', `0+${failed}x40`),
];

/** postgres_exporter's target, and the labels it gives its per-server series. */
const PG = { instance: '127.0.0.1:9187', job: 'postgres' };
const PG_SERVER = 'instance="127.0.0.1:9187", job="postgres", server="127.0.0.1:5432"';
/** Server connections of the payments database in one state, and max_connections, as postgres_exporter reports them. */
const sessions = (state: string, values: string) => s(`pg_stat_activity_count{${PG_SERVER}, datname="payments", state="${state}"}`, values);
const maxConnections = (values: string) => s(`pg_settings_max_connections{${PG_SERVER}}`, values);

/** Cases evaluated every minute. */
const MINUTE_CASES: AlertCase[] = [
  {
    alert: 'PaymentSuccessRateLow',
    name: '85% success: warning, critical and page levels all fire',
    input: payments(85, 15),
    evalTime: '15m',
    expect: [
      {
        incidentClass: 'Sev3',
        description:
          'Only 85% of real-time payments (UPI, QR, BBPS, card, net banking) succeeded in the last 5 minutes; below 98% for two 5-minute periods in a row (target 99%), over at least 200 payments per 5 minutes.',
      },
      {
        incidentClass: 'Sev2',
        description:
          'Only 85% of real-time payments (UPI, QR, BBPS, card, net banking) succeeded in the last 5 minutes; below 95% for two 5-minute periods in a row (target 99%), over at least 80 payments per 5 minutes.',
      },
      {
        incidentClass: 'Sev1',
        description:
          'Only 85% of real-time payments (UPI, QR, BBPS, card, net banking) succeeded in the last 5 minutes; below 90% for two 5-minute periods in a row (target 99%), over at least 40 payments per 5 minutes.',
      },
    ],
  },
  {
    alert: 'PaymentSuccessRateLow',
    name: 'Prometheus started at 4 min: nothing fires before a whole 5-minute window of live data, plus the 5 minutes of for',
    input: [...payments(85, 15), s('process_start_time_seconds{job="prometheus", instance="127.0.0.1:9090"}', '240x30')],
    evalTime: '13m',
    expect: [],
  },
  {
    alert: 'PaymentSuccessRateLow',
    name: '91% success: just above the page threshold, warning and critical only',
    input: payments(91, 9),
    evalTime: '15m',
    expect: [
      {
        incidentClass: 'Sev3',
        description:
          'Only 91% of real-time payments (UPI, QR, BBPS, card, net banking) succeeded in the last 5 minutes; below 98% for two 5-minute periods in a row (target 99%), over at least 200 payments per 5 minutes.',
      },
      {
        incidentClass: 'Sev2',
        description:
          'Only 91% of real-time payments (UPI, QR, BBPS, card, net banking) succeeded in the last 5 minutes; below 95% for two 5-minute periods in a row (target 99%), over at least 80 payments per 5 minutes.',
      },
    ],
  },
  {
    alert: 'PaymentSuccessRateLow',
    name: '98.1% success: just inside the warning threshold, nothing fires (cash OTP failures do not count)',
    input: [...payments(981, 19), s('payments_total{branch="BR0001", channel="cash", status="failed"}', '0+50x30')],
    evalTime: '15m',
    expect: [],
  },
  {
    alert: 'PaymentSuccessRateLow',
    name: 'a quiet night: 1 failure in 6 payments a minute (83%, 30 payments in 5 minutes) is too few to judge, nothing fires',
    input: payments(5, 1),
    evalTime: '15m',
    expect: [],
  },
  {
    alert: 'PaymentSuccessRateLow',
    name: '85% over 150 payments in 5 minutes: critical and page, not the warning (which needs 200 payments in 5 minutes)',
    input: payments(25.5, 4.5),
    evalTime: '15m',
    expect: [
      {
        incidentClass: 'Sev2',
        description:
          'Only 85% of real-time payments (UPI, QR, BBPS, card, net banking) succeeded in the last 5 minutes; below 95% for two 5-minute periods in a row (target 99%), over at least 80 payments per 5 minutes.',
      },
      {
        incidentClass: 'Sev1',
        description:
          'Only 85% of real-time payments (UPI, QR, BBPS, card, net banking) succeeded in the last 5 minutes; below 90% for two 5-minute periods in a row (target 99%), over at least 40 payments per 5 minutes.',
      },
    ],
  },
  {
    alert: 'PaymentSuccessRateLow',
    name: 'a dip shorter than two 5-minute periods does not fire',
    input: [
      s('payments_total{branch="BR0001", channel="upi", status="success"}', '0+100x10 1080 1180+100x15'),
      s('payments_total{branch="BR0001", channel="upi", status="failed"}', '0x10 20x16'),
    ],
    evalTime: '16m',
    expect: [],
  },
  {
    alert: 'PaymentFailuresHigh',
    name: '11 actionable failures in an hour at one branch: warning and critical',
    input: [
      // The hour before 70m holds the samples after 10m (Prometheus 3's ranges are open on the
      // left): the counters are 0 at 11m and every failure comes after.
      s('payment_failures_total{branch="BR0007", channel="card", reason="gateway_timeout"}', '0x11 1 2 3 4 5 6 7 8 9 10 11x59'),
      // Insufficient funds and cancellations are the customer's, not counted.
      s('payment_failures_total{branch="BR0007", channel="nach", reason="insufficient_funds"}', '0x11 50x69'),
      s('payment_failures_total{branch="BR0008", channel="upi", reason="cancelled"}', '0x11 50x69'),
    ],
    evalTime: '70m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { branch: 'BR0007' },
        description:
          'BR0007 had 11 failed payments in the last hour (not counting insufficient funds or cancellations); the threshold is 5.',
      },
      {
        incidentClass: 'Sev2',
        labels: { branch: 'BR0007' },
        description:
          'BR0007 had 11 failed payments in the last hour (not counting insufficient funds or cancellations); the threshold is 10.',
      },
    ],
  },
  {
    alert: 'PaymentFailuresHigh',
    name: '5 failures in an hour: just inside, nothing fires',
    input: [
      s('payment_failures_total{branch="BR0007", channel="card", reason="declined"}', '0x11 1 2 3 4 5x69'),
      s('payment_failures_total{branch="BR0007", channel="nach", reason="insufficient_funds"}', '0x11 50x69'),
    ],
    evalTime: '70m',
    expect: [],
  },
  {
    alert: 'PaymentErrorBurst',
    name: '11 technical errors in 5 minutes fire',
    input: [
      s('payment_failures_total{branch="BR0001", channel="card", reason="gateway_timeout"}', '0x10 6x20'),
      s('payment_failures_total{branch="BR0002", channel="upi", reason="technical_error"}', '0x10 5x20'),
      s('payment_failures_total{branch="BR0002", channel="nach", reason="insufficient_funds"}', '0x10 100x20'),
    ],
    evalTime: '13m',
    expect: [
      {
        incidentClass: 'Sev2',
        description: '11 payments failed with a gateway timeout or technical error in the last 5 minutes (threshold 10).',
      },
    ],
  },
  {
    alert: 'PaymentErrorBurst',
    name: '10 technical errors in 5 minutes: just inside',
    input: [
      s('payment_failures_total{branch="BR0001", channel="card", reason="gateway_timeout"}', '0x10 10x20'),
      s('payment_failures_total{branch="BR0002", channel="nach", reason="insufficient_funds"}', '0x10 100x20'),
    ],
    evalTime: '13m',
    expect: [],
  },
  {
    alert: 'PaymentProcessingSlow',
    name: '12 s average: warning and critical',
    input: processing(12),
    evalTime: '20m',
    expect: [
      {
        incidentClass: 'Sev3',
        description: 'Real-time payments took 12s on average over the last 5 minutes (threshold 5s, target under 3s).',
      },
      {
        incidentClass: 'Sev2',
        description: 'Real-time payments took 12s on average over the last 5 minutes (threshold 10s, target under 3s).',
      },
    ],
  },
  {
    alert: 'PaymentProcessingSlow',
    name: '6 s average: warning only',
    input: processing(6),
    evalTime: '20m',
    expect: [
      {
        incidentClass: 'Sev3',
        description: 'Real-time payments took 6s on average over the last 5 minutes (threshold 5s, target under 3s).',
      },
    ],
  },
  {
    alert: 'PaymentProcessingSlow',
    name: '4.9 s average (cash excluded): just inside',
    input: processing(4.9),
    evalTime: '20m',
    expect: [],
  },
  {
    alert: 'ApiErrorRateHigh',
    name: '6% server errors: warning and critical; health checks do not count',
    input: [api('200', 94), api('500', 6), api('503', 600, '/health')],
    evalTime: '15m',
    expect: [
      {
        incidentClass: 'Sev3',
        description:
          '6% of payments API requests were answered with a server error in the last 5 minutes (threshold 1%, judged over at least 400 requests in 5 minutes).',
      },
      {
        incidentClass: 'Sev2',
        description:
          '6% of payments API requests were answered with a server error in the last 5 minutes (threshold 5%, judged over at least 80 requests in 5 minutes).',
      },
    ],
  },
  {
    alert: 'ApiErrorRateHigh',
    name: '2% server errors, 4xx ignored: warning only',
    input: [api('200', 88), api('500', 2), api('404', 10)],
    evalTime: '15m',
    expect: [
      {
        incidentClass: 'Sev3',
        description:
          '2% of payments API requests were answered with a server error in the last 5 minutes (threshold 1%, judged over at least 400 requests in 5 minutes).',
      },
    ],
  },
  {
    alert: 'ApiErrorRateHigh',
    name: '0.9% server errors: just inside',
    input: [api('200', 991), api('502', 9)],
    evalTime: '15m',
    expect: [],
  },
  {
    alert: 'ApiErrorRateHigh',
    name: 'a quiet night: 2 server errors among 60 requests a minute (3.3%, 300 requests in 5 minutes) is too few to judge the 1% warning',
    input: [api('200', 58), api('500', 2)],
    evalTime: '15m',
    expect: [],
  },
  {
    alert: 'ApiLatencyHigh',
    name: 'requests between 2 and 5 s: p95 4.85 s, warning and critical',
    input: apiBuckets(5, 10),
    evalTime: '15m',
    expect: [
      {
        incidentClass: 'Sev3',
        description: '95% of payments API requests took up to 4.85s in the last 5 minutes (threshold 1s, target 500ms).',
      },
      {
        incidentClass: 'Sev2',
        description: '95% of payments API requests took up to 4.85s in the last 5 minutes (threshold 2s, target 500ms).',
      },
    ],
  },
  {
    alert: 'ApiLatencyHigh',
    name: 'requests between 1 and 2 s: p95 1.95 s, warning only',
    input: apiBuckets(2, 10),
    evalTime: '15m',
    expect: [
      {
        incidentClass: 'Sev3',
        description: '95% of payments API requests took up to 1.95s in the last 5 minutes (threshold 1s, target 500ms).',
      },
    ],
  },
  {
    alert: 'ApiLatencyHigh',
    name: 'requests between 0.5 and 1 s: p95 0.975 s, just inside',
    input: apiBuckets(1, 10),
    evalTime: '15m',
    expect: [],
  },
  {
    alert: 'DatabaseDown',
    name: 'database not answering postgres_exporter for a minute',
    input: [s('pg_up{instance="127.0.0.1:9187", job="postgres"}', '1 1 0 0 0')],
    evalTime: '4m',
    expect: [
      {
        incidentClass: 'Sev1',
        labels: PG,
        description: 'The database server has not answered postgres_exporter for 1 minute (pg_up = 0).',
      },
    ],
  },
  {
    alert: 'DatabaseDown',
    name: 'one failed check is not yet an outage',
    input: [s('pg_up{instance="127.0.0.1:9187", job="postgres"}', '1 1 1 0')],
    evalTime: '3m',
    expect: [],
  },
  {
    alert: 'DatabaseConnectionFailures',
    name: 'an exporter failing to poll for 2 minutes',
    input: [s('paywatch_exporter_source_up{exporter="lms", instance="127.0.0.1:9402", job="lms"}', '1 0 0 0 0')],
    evalTime: '4m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { exporter: 'lms', instance: '127.0.0.1:9402', job: 'lms' },
        description: 'The last polls of the lms exporter failed for 2 minutes; its metrics are stale.',
      },
    ],
  },
  {
    alert: 'DatabaseConnectionFailures',
    name: 'polls failing for less than 2 minutes',
    input: [s('paywatch_exporter_source_up{exporter="lms", instance="127.0.0.1:9402", job="lms"}', '1 1 1 0 0')],
    evalTime: '4m',
    expect: [],
  },
  {
    alert: 'DatabaseConnectionsHigh',
    name: '97 of 100 connections: warning and critical',
    input: [
      sessions('active', '70x10'),
      sessions('idle', '27x10'),
      s(`pg_stat_activity_count{${PG_SERVER}, datname="postgres", state="idle"}`, '0x10'),
      maxConnections('100x10'),
    ],
    evalTime: '8m',
    expect: [
      { incidentClass: 'Sev3', description: "97% of the database's max_connections are in use (threshold 80%, target under 60%)." },
      { incidentClass: 'Sev2', description: "97% of the database's max_connections are in use (threshold 95%, target under 60%)." },
    ],
  },
  {
    alert: 'DatabaseConnectionsHigh',
    name: '85 of 100 connections: warning only',
    input: [sessions('active', '85x10'), maxConnections('100x10')],
    evalTime: '8m',
    expect: [{ incidentClass: 'Sev3', description: "85% of the database's max_connections are in use (threshold 80%, target under 60%)." }],
  },
  {
    alert: 'DatabaseConnectionsHigh',
    name: '80 of 100 connections: just inside',
    input: [sessions('active', '60x10'), sessions('idle', '20x10'), maxConnections('100x10')],
    evalTime: '8m',
    expect: [],
  },
  {
    alert: 'LmsPostingFailures',
    name: '10% of postings failing',
    input: lmsPostings(90, 10),
    evalTime: '25m',
    expect: [
      {
        incidentClass: 'Sev3',
        description:
          '10% of receipt postings to the LMS failed in the last 15 minutes (threshold 5%, judged over at least 80 postings in 15 minutes).',
      },
    ],
  },
  {
    alert: 'LmsPostingFailures',
    name: '4.9% of postings failing: just inside',
    input: lmsPostings(951, 49),
    evalTime: '25m',
    expect: [],
  },
  {
    alert: 'LmsPostingFailures',
    name: 'a quiet night: 3 of 30 postings in 15 minutes failing (10%) is too few to judge',
    input: lmsPostings(1.8, 0.2),
    evalTime: '30m',
    expect: [],
  },
  {
    alert: 'LmsPostingQueueDepthHigh',
    name: '1500 postings waiting',
    input: [s('lms_posting_queue_depth{instance="127.0.0.1:9402", job="lms"}', '1500x10')],
    evalTime: '8m',
    expect: [{ incidentClass: 'Sev3', description: '1500 receipt postings are waiting in the LMS queue (threshold 1000).' }],
  },
  {
    alert: 'LmsPostingQueueDepthHigh',
    name: '1000 postings waiting: just inside',
    input: [s('lms_posting_queue_depth{instance="127.0.0.1:9402", job="lms"}', '1000x10')],
    evalTime: '8m',
    expect: [],
  },
  {
    alert: 'LmsPostingQueueGrowing',
    name: 'queue growing 10 postings a minute for more than 15 minutes',
    input: [s('lms_posting_queue_depth{instance="127.0.0.1:9402", job="lms"}', '0+10x40')],
    evalTime: '30m',
    expect: [
      {
        incidentClass: 'Sev2',
        description: 'The LMS queue has grown for 15 minutes without draining (now growing by 0.17 postings per second).',
      },
    ],
  },
  {
    alert: 'LmsPostingQueueGrowing',
    name: 'queue growing for less than 15 minutes',
    input: [s('lms_posting_queue_depth{instance="127.0.0.1:9402", job="lms"}', '0+10x40')],
    evalTime: '19m',
    expect: [],
  },
  {
    alert: 'LmsPostingQueueGrowing',
    name: 'a long queue that is draining',
    input: [s('lms_posting_queue_depth{instance="127.0.0.1:9402", job="lms"}', '900-10x40')],
    evalTime: '30m',
    expect: [],
  },
  {
    alert: 'RfidSystemOffline',
    name: 'no reader anywhere has a heartbeat',
    input: [
      s('rfid_reader_up{branch="BR0001", reader="BR0001-R1"}', '1 0x10'),
      s('rfid_reader_up{branch="BR0002", reader="BR0002-R1"}', '1 0x10'),
      s('rfid_readers{branch="BR0001"}', '1x10'),
      s('rfid_readers{branch="BR0002"}', '1x10'),
    ],
    evalTime: '7m',
    expect: [
      { incidentClass: 'Sev2', description: 'No RFID reader at any branch has sent a heartbeat for 5 minutes (2 readers installed).' },
    ],
  },
  {
    alert: 'RfidSystemOffline',
    name: 'a fresh start: no reader seen yet (no heartbeat since monitoring began)',
    input: [
      s('rfid_reader_up{branch="BR0001", reader="BR0001-R1"}', '0x15'),
      s('rfid_reader_up{branch="BR0002", reader="BR0002-R1"}', '0x15'),
      s('rfid_readers{branch="BR0001"}', '1x15'),
      s('rfid_readers{branch="BR0002"}', '1x15'),
    ],
    evalTime: '12m',
    expect: [],
  },
  {
    alert: 'RfidSystemOffline',
    name: 'one reader still up',
    input: [
      s('rfid_reader_up{branch="BR0001", reader="BR0001-R1"}', '0x10'),
      s('rfid_reader_up{branch="BR0002", reader="BR0002-R1"}', '1x10'),
      s('rfid_readers{branch="BR0001"}', '1x10'),
      s('rfid_readers{branch="BR0002"}', '1x10'),
    ],
    evalTime: '6m',
    expect: [],
  },
  {
    alert: 'RfidReaderOffline',
    name: 'a reader silent for 10 minutes',
    input: [s('rfid_reader_up{branch="BR0003", reader="BR0003-R2", instance="127.0.0.1:9403", job="rfid"}', '1 0x15')],
    evalTime: '12m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { branch: 'BR0003', reader: 'BR0003-R2', instance: '127.0.0.1:9403', job: 'rfid' },
        description: 'Reader BR0003-R2 at branch BR0003 has not sent a heartbeat for 10 minutes.',
      },
    ],
  },
  {
    alert: 'RfidReaderOffline',
    name: 'a fresh start: a reader not seen yet is not offline',
    input: [s('rfid_reader_up{branch="BR0003", reader="BR0003-R2", instance="127.0.0.1:9403", job="rfid"}', '0x20')],
    evalTime: '15m',
    expect: [],
  },
  {
    alert: 'RfidReaderOffline',
    name: 'a reader silent for 9 minutes',
    input: [s('rfid_reader_up{branch="BR0003", reader="BR0003-R2", instance="127.0.0.1:9403", job="rfid"}', '1 1 0x15')],
    evalTime: '11m',
    expect: [],
  },
  {
    alert: 'RfidVerificationRateLow',
    name: '90% of verifications succeed: warning and critical',
    input: rfid(90, 6, 4),
    evalTime: '20m',
    expect: [
      {
        incidentClass: 'Sev3',
        description: 'Only 90% of RFID verifications succeeded in the last 5 minutes (threshold 99%, target above 99%).',
      },
      {
        incidentClass: 'Sev2',
        description: 'Only 90% of RFID verifications succeeded in the last 5 minutes (threshold 95%, target above 99%).',
      },
    ],
  },
  {
    alert: 'RfidVerificationRateLow',
    name: '97% of verifications succeed: warning only',
    input: rfid(97, 2, 1),
    evalTime: '20m',
    expect: [
      {
        incidentClass: 'Sev3',
        description: 'Only 97% of RFID verifications succeeded in the last 5 minutes (threshold 99%, target above 99%).',
      },
    ],
  },
  {
    alert: 'RfidVerificationRateLow',
    name: '99.1% succeed: just inside',
    input: rfid(991, 5, 4),
    evalTime: '20m',
    expect: [],
  },
  {
    alert: 'MandateRegistrationSuccessLow',
    name: '75% of registrations succeed for an hour: warning and critical',
    input: mandates(3, 1),
    evalTime: '80m',
    expect: [
      {
        incidentClass: 'Sev3',
        description:
          'Only 75% of UPI AutoPay and NACH mandate registrations succeeded in the last hour (threshold 90%, target 95%, judged over at least 40 in the window).',
      },
      {
        incidentClass: 'Sev2',
        description:
          'Only 75% of UPI AutoPay and NACH mandate registrations succeeded in the last hour (threshold 80%, target 95%, judged over at least 20 in the window).',
      },
    ],
  },
  {
    alert: 'MandateRegistrationSuccessLow',
    name: '85% succeed: warning only',
    input: mandates(17, 3),
    evalTime: '80m',
    expect: [
      {
        incidentClass: 'Sev3',
        description:
          'Only 85% of UPI AutoPay and NACH mandate registrations succeeded in the last hour (threshold 90%, target 95%, judged over at least 40 in the window).',
      },
    ],
  },
  {
    alert: 'MandateRegistrationSuccessLow',
    name: '92% succeed: just inside',
    input: mandates(23, 2),
    evalTime: '80m',
    expect: [],
  },
  {
    alert: 'ReconciliationOverdue',
    name: 'three reconciliations overdue for 30 minutes',
    input: [s('reconciliation_overdue{branch="BR0042", instance="127.0.0.1:9401", job="payments"}', '3x40')],
    evalTime: '35m',
    expect: [
      {
        incidentClass: 'Sev4',
        labels: { branch: 'BR0042', instance: '127.0.0.1:9401', job: 'payments' },
        description: 'BR0042 has 3 reconciliations past their due time.',
      },
    ],
  },
  {
    alert: 'ReconciliationOverdue',
    name: 'nothing overdue',
    input: [s('reconciliation_overdue{branch="BR0042", instance="127.0.0.1:9401", job="payments"}', '0x40')],
    evalTime: '35m',
    expect: [],
  },
  {
    alert: 'ReconciliationExceptionsHigh',
    name: 'eight open exceptions at a branch',
    input: [s('reconciliation_exceptions_open{branch="BR0042", instance="127.0.0.1:9401", job="payments"}', '8x40')],
    evalTime: '35m',
    expect: [
      {
        incidentClass: 'Sev4',
        labels: { branch: 'BR0042', instance: '127.0.0.1:9401', job: 'payments' },
        description: 'BR0042 has 8 open reconciliation exceptions (threshold 5).',
      },
    ],
  },
  {
    alert: 'ReconciliationExceptionsHigh',
    name: 'five open exceptions: just inside',
    input: [s('reconciliation_exceptions_open{branch="BR0042", instance="127.0.0.1:9401", job="payments"}', '5x40')],
    evalTime: '35m',
    expect: [],
  },
  {
    alert: 'ExporterDown',
    name: 'the RFID exporter unreachable for 2 minutes',
    input: [s('up{job="rfid", instance="127.0.0.1:9403"}', '1 0 0 0 0'), s('up{job="node", instance="127.0.0.1:9100"}', '0 0 0 0 0')],
    evalTime: '4m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { job: 'rfid', instance: '127.0.0.1:9403' },
        description: 'Prometheus has failed to scrape 127.0.0.1:9403 (job rfid) for 2 minutes.',
      },
    ],
  },
  {
    alert: 'ReportNotSent',
    name: 'two branch reports overdue for 30 minutes',
    input: [
      s('reports_overdue{report="branch-daily", instance="127.0.0.1:9430", job="reports"}', '0 2x40'),
      s('reports_overdue{report="executive-daily", instance="127.0.0.1:9430", job="reports"}', '0x40'),
    ],
    evalTime: '35m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { report: 'branch-daily' },
        description: "2 of today's scheduled branch-daily reports are past their send time and still not sent after 30 minutes of retries.",
      },
    ],
  },
  {
    alert: 'ReportNotSent',
    name: 'a start at 18:40 IST catching up on the 18:00 reports: nothing in its first 30 minutes, then 30 minutes of for',
    input: [
      s('reports_overdue{report="branch-daily", instance="127.0.0.1:9430", job="reports"}', '2x70'),
      s('process_start_time_seconds{job="prometheus", instance="127.0.0.1:9090"}', '0x70'),
    ],
    evalTime: '59m',
    expect: [],
  },
  {
    alert: 'ReportNotSent',
    name: 'a start whose reports never go out: fires an hour after the start',
    input: [
      s('reports_overdue{report="branch-daily", instance="127.0.0.1:9430", job="reports"}', '2x70'),
      s('process_start_time_seconds{job="prometheus", instance="127.0.0.1:9090"}', '0x70'),
    ],
    evalTime: '61m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { report: 'branch-daily' },
        description: "2 of today's scheduled branch-daily reports are past their send time and still not sent after 30 minutes of retries.",
      },
    ],
  },
  {
    alert: 'ReportNotSent',
    name: 'overdue for 20 minutes, then sent: retries did their job',
    input: [s('reports_overdue{report="branch-daily", instance="127.0.0.1:9430", job="reports"}', '0 1x20 0x20')],
    evalTime: '35m',
    expect: [],
  },
  {
    alert: 'LateRowsGrowing',
    name: 'a fifth of the payments counted in the hour came late (a webhook backlog)',
    input: [
      s('paywatch_exporter_late_rows_total{exporter="payments", view="payments", job="payments", instance="127.0.0.1:9401"}', '0+20x90'),
      s(
        'paywatch_exporter_row_lateness_seconds_count{exporter="payments", view="payments", job="payments", instance="127.0.0.1:9401"}',
        '0+100x90',
      ),
      s('paywatch_exporter_late_rows_total{exporter="lms", view="lms_postings", job="lms", instance="127.0.0.1:9402"}', '0x90'),
      s(
        'paywatch_exporter_row_lateness_seconds_count{exporter="lms", view="lms_postings", job="lms", instance="127.0.0.1:9402"}',
        '0+100x90',
      ),
    ],
    evalTime: '80m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { view: 'payments' },
        description:
          "20% of the payments rows counted in the last hour were committed later than the exporters' safety lag after their business timestamp (threshold 5%, at least 10 rows).",
      },
    ],
  },
  {
    alert: 'LateRowsGrowing',
    name: '4% late, and a quiet hour with a few late rows: no alert',
    input: [
      s('paywatch_exporter_late_rows_total{exporter="payments", view="payments", job="payments", instance="127.0.0.1:9401"}', '0+4x90'),
      s(
        'paywatch_exporter_row_lateness_seconds_count{exporter="payments", view="payments", job="payments", instance="127.0.0.1:9401"}',
        '0+100x90',
      ),
      s(
        'paywatch_exporter_late_rows_total{exporter="payments", view="mandate_registrations", job="payments", instance="127.0.0.1:9401"}',
        '0 0+0.1x89',
      ),
      s(
        'paywatch_exporter_row_lateness_seconds_count{exporter="payments", view="mandate_registrations", job="payments", instance="127.0.0.1:9401"}',
        '0 0+0.2x89',
      ),
    ],
    evalTime: '80m',
    expect: [],
  },
  {
    alert: 'ExporterDown',
    name: 'postgres_exporter unreachable for 2 minutes (DatabaseDown cannot tell then)',
    input: [s('up{job="postgres", instance="127.0.0.1:9187"}', '1 0 0 0 0')],
    evalTime: '4m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { job: 'postgres', instance: '127.0.0.1:9187' },
        description: 'Prometheus has failed to scrape 127.0.0.1:9187 (job postgres) for 2 minutes.',
      },
    ],
  },
  {
    alert: 'ExporterDown',
    name: 'exporters answering',
    input: [s('up{job="rfid", instance="127.0.0.1:9403"}', '1 1 1 1 1')],
    evalTime: '4m',
    expect: [],
  },
];

const PROBER = '127.0.0.1:9115';
const probe = (service: string, target: string, values: string, gateway?: string) =>
  s(
    `probe_success{job="blackbox", instance="${PROBER}", service="${service}", target="${target}"${gateway ? `, gateway="${gateway}"` : ''}}`,
    values,
  );
const API_HEALTH = 'http://127.0.0.1:9400/health';
const LMS_HEALTH = 'http://127.0.0.1:9400/lms/health';
const GW_B = 'http://127.0.0.1:9400/gateways/gateway_b/health';

/** Cases on the probe clock: one probe and one evaluation every 15 s. */
const PROBE_CASES: AlertCase[] = [
  {
    alert: 'SystemDown',
    name: 'three failed health checks in a row',
    input: [probe('payments-api', API_HEALTH, '1 1 0 0 0 0')],
    evalTime: '60s',
    expect: [
      {
        incidentClass: 'Sev1',
        labels: { job: 'blackbox', instance: PROBER, service: 'payments-api', target: API_HEALTH },
        description: `The health check of ${API_HEALTH} has failed 3 times in a row.`,
      },
    ],
  },
  {
    alert: 'SystemDown',
    name: 'two failed health checks are not enough',
    input: [probe('payments-api', API_HEALTH, '1 1 0 0 1 1')],
    evalTime: '60s',
    expect: [],
  },
  {
    alert: 'PaymentGatewayDown',
    name: 'gateway_b failing three checks, gateway_a fine',
    input: [
      probe('gateway', 'http://127.0.0.1:9400/gateways/gateway_a/health', '1 1 1 1 1 1', 'gateway_a'),
      probe('gateway', GW_B, '1 1 0 0 0 0', 'gateway_b'),
    ],
    evalTime: '60s',
    expect: [
      {
        incidentClass: 'Sev2',
        labels: { job: 'blackbox', instance: PROBER, service: 'gateway', gateway: 'gateway_b', target: GW_B },
        description: `The health check of gateway gateway_b (${GW_B}) has failed 3 times in a row.`,
      },
    ],
  },
  {
    alert: 'PaymentGatewayDown',
    name: 'gateway_b failing two checks',
    input: [probe('gateway', GW_B, '1 1 1 0 0 1', 'gateway_b')],
    evalTime: '75s',
    expect: [],
  },
  {
    alert: 'LmsDown',
    name: 'the LMS exporter sees the LMS down three times in a row',
    input: [
      s('lms_up{instance="127.0.0.1:9402", job="lms"}', '1 1 0 0 0 0'),
      probe('lms', LMS_HEALTH, '1 1 1 1 1 1'),
      s('lms_posting_queue_depth{instance="127.0.0.1:9402", job="lms"}', '0+100x5'),
    ],
    evalTime: '60s',
    expect: [
      {
        incidentClass: 'Sev2',
        description: 'The LMS health check has failed 3 times in a row; receipts queue up instead of being posted (400 waiting now).',
      },
    ],
  },
  {
    alert: 'LmsDown',
    name: 'the prober sees the LMS down three times in a row',
    input: [s('lms_up{instance="127.0.0.1:9402", job="lms"}', '1 1 1 1 1 1'), probe('lms', LMS_HEALTH, '1 1 0 0 0 0')],
    evalTime: '60s',
    expect: [
      {
        incidentClass: 'Sev2',
        description: 'The LMS health check has failed 3 times in a row; receipts queue up instead of being posted.',
      },
    ],
  },
  {
    alert: 'LmsDown',
    name: 'two failed checks are not enough',
    input: [s('lms_up{instance="127.0.0.1:9402", job="lms"}', '1 1 1 0 0 1'), probe('lms', LMS_HEALTH, '1 1 1 1 1 1')],
    evalTime: '75s',
    expect: [],
  },
  {
    alert: 'AvailabilityLow',
    name: '3 failed probes of 240 in the last hour: 98.75%, warning and critical',
    input: [probe('payments-api', API_HEALTH, '1x119 0 0 0 1x200')],
    evalTime: '70m',
    expect: [
      {
        incidentClass: 'Sev3',
        description: '98.75% of health checks (payments API, LMS, gateways) succeeded in the last hour (threshold 99.5%, target 99.9%).',
      },
      {
        incidentClass: 'Sev2',
        description: '98.75% of health checks (payments API, LMS, gateways) succeeded in the last hour (threshold 99%, target 99.9%).',
      },
    ],
  },
  {
    alert: 'AvailabilityLow',
    name: '2 failed probes of 240: 99.17%, warning only',
    input: [probe('payments-api', API_HEALTH, '1x119 0 0 1x200')],
    evalTime: '70m',
    expect: [
      {
        incidentClass: 'Sev3',
        description: '99.17% of health checks (payments API, LMS, gateways) succeeded in the last hour (threshold 99.5%, target 99.9%).',
      },
    ],
  },
  {
    alert: 'AvailabilityLow',
    name: '1 failed probe of 240: 99.58%, just inside',
    input: [probe('payments-api', API_HEALTH, '1x119 0 1x200')],
    evalTime: '70m',
    expect: [],
  },
];

const RECORDING_5M: RecordingCase = {
  name: '5-minute rates and ratios at branch, channel and fleet level',
  evalTime: '10m',
  input: [
    s('payments_total{branch="BR0001", channel="upi", status="success"}', '0+60x20'),
    s('payments_total{branch="BR0001", channel="upi", status="failed"}', '0+15x20'),
    s('payments_total{branch="BR0002", channel="cash", status="success"}', '0+30x20'),
    s('payments_total{branch="BR0002", channel="upi", status="failed"}', '0+15x20'),
    s('payments_total{branch="BR0003", channel="card", status="failed"}', '0+6x20'),
    s('payment_amount_total{branch="BR0001", channel="upi"}', '0+6000x20'),
    s('payment_amount_total{branch="BR0002", channel="cash"}', '0+12000x20'),
    s('payment_processing_seconds_sum{channel="upi"}', '0+120x20'),
    s('payment_processing_seconds_count{channel="upi"}', '0+60x20'),
    s('payment_processing_seconds_sum{channel="nach"}', '0+60000x20'),
    s('payment_processing_seconds_count{channel="nach"}', '0+60x20'),
    api('200', 570),
    api('500', 30),
    api('503', 600, '/health'),
    ...['0.025', '0.05', '0.1', '0.25'].map((le) =>
      s(
        `http_request_duration_seconds_bucket{service="payments-api", route="/api/payments", method="POST", status="200", le="${le}"}`,
        '0x20',
      ),
    ),
    ...['0.5', '1', '2', '5', '10', '+Inf'].map((le) =>
      s(
        `http_request_duration_seconds_bucket{service="payments-api", route="/api/payments", method="POST", status="200", le="${le}"}`,
        '0+600x20',
      ),
    ),
    probe('payments-api', API_HEALTH, '1x20'),
    probe('lms', LMS_HEALTH, '0x20'),
    s('lms_posting_queue_depth{instance="127.0.0.1:9402", job="lms"}', '0+10x20'),
    s('rfid_verifications_total{branch="BR0001", result="success"}', '0+57x20'),
    s('rfid_verifications_total{branch="BR0001", result="denied"}', '0+3x20'),
    sessions('active', '50x20'),
    sessions('idle', '20x20'),
    maxConnections('100x20'),
    s('branch_collected_today_inr{branch="BR0001"}', '50000x20'),
    s('branch_daily_target_inr{branch="BR0001"}', '100000x20'),
    s('branch_collected_today_inr{branch="BR0002"}', '30000x20'),
    s('branch_daily_target_inr{branch="BR0002"}', '0x20'),
  ],
  checks: [
    {
      expr: 'branch_channel:payments:rate5m',
      samples: [
        { labels: 'branch_channel:payments:rate5m{branch="BR0001", channel="upi", status="success"}', value: 1 },
        { labels: 'branch_channel:payments:rate5m{branch="BR0001", channel="upi", status="failed"}', value: 0.25 },
        { labels: 'branch_channel:payments:rate5m{branch="BR0002", channel="cash", status="success"}', value: 0.5 },
        { labels: 'branch_channel:payments:rate5m{branch="BR0002", channel="upi", status="failed"}', value: 0.25 },
        { labels: 'branch_channel:payments:rate5m{branch="BR0003", channel="card", status="failed"}', value: 0.1 },
      ],
    },
    {
      expr: 'branch:payments:rate5m',
      samples: [
        { labels: 'branch:payments:rate5m{branch="BR0001", status="success"}', value: 1 },
        { labels: 'branch:payments:rate5m{branch="BR0001", status="failed"}', value: 0.25 },
        { labels: 'branch:payments:rate5m{branch="BR0002", status="success"}', value: 0.5 },
        { labels: 'branch:payments:rate5m{branch="BR0002", status="failed"}', value: 0.25 },
        { labels: 'branch:payments:rate5m{branch="BR0003", status="failed"}', value: 0.1 },
      ],
    },
    {
      expr: 'channel:payments:rate5m',
      samples: [
        { labels: 'channel:payments:rate5m{channel="upi", status="success"}', value: 1 },
        { labels: 'channel:payments:rate5m{channel="upi", status="failed"}', value: 0.5 },
        { labels: 'channel:payments:rate5m{channel="cash", status="success"}', value: 0.5 },
        { labels: 'channel:payments:rate5m{channel="card", status="failed"}', value: 0.1 },
      ],
    },
    {
      expr: 'paywatch:payments:rate5m',
      samples: [
        { labels: 'paywatch:payments:rate5m{status="success"}', value: 1.5 },
        { labels: 'paywatch:payments:rate5m{status="failed"}', value: 0.6 },
      ],
    },
    // Ratios are compared in basis points: round(x * 10000).
    { expr: 'round(paywatch:payment_success_ratio:rate5m * 10000)', samples: [{ labels: '{}', value: 7143 }] },
    // Real-time channels only: BR0002's cash is left out (1 / (1 + 0.5 + 0.1)).
    { expr: 'round(paywatch:payment_realtime_success_ratio:rate5m * 10000)', samples: [{ labels: '{}', value: 6250 }] },
    {
      expr: 'round(branch:payment_success_ratio:rate5m * 10000)',
      samples: [
        { labels: '{branch="BR0001"}', value: 8000 },
        { labels: '{branch="BR0002"}', value: 6667 },
        // A branch whose payments all failed has ratio 0, not no ratio.
        { labels: '{branch="BR0003"}', value: 0 },
      ],
    },
    {
      expr: 'round(channel:payment_success_ratio:rate5m * 10000)',
      samples: [
        { labels: '{channel="upi"}', value: 6667 },
        { labels: '{channel="cash"}', value: 10000 },
        { labels: '{channel="card"}', value: 0 },
      ],
    },
    {
      expr: 'branch:payment_amount_inr:rate5m',
      samples: [
        { labels: 'branch:payment_amount_inr:rate5m{branch="BR0001"}', value: 100 },
        { labels: 'branch:payment_amount_inr:rate5m{branch="BR0002"}', value: 200 },
      ],
    },
    {
      expr: 'channel:payment_amount_inr:rate5m',
      samples: [
        { labels: 'channel:payment_amount_inr:rate5m{channel="upi"}', value: 100 },
        { labels: 'channel:payment_amount_inr:rate5m{channel="cash"}', value: 200 },
      ],
    },
    { expr: 'paywatch:payment_amount_inr:rate5m', samples: [{ labels: 'paywatch:payment_amount_inr:rate5m', value: 300 }] },
    // Real-time channels only: NACH's 1000 s average does not count.
    { expr: 'paywatch:payment_processing_seconds:avg5m', samples: [{ labels: 'paywatch:payment_processing_seconds:avg5m', value: 2 }] },
    {
      expr: 'round(channel:payment_processing_seconds:avg5m)',
      samples: [
        { labels: '{channel="upi"}', value: 2 },
        { labels: '{channel="nach"}', value: 1000 },
      ],
    },
    { expr: 'round(paywatch:api_error_ratio:rate5m * 10000)', samples: [{ labels: '{}', value: 500 }] },
    { expr: 'paywatch:api_requests:rate5m', samples: [{ labels: 'paywatch:api_requests:rate5m', value: 10 }] },
    // Every request took 0.25-0.5 s: quantiles interpolate linearly inside that bucket.
    { expr: 'round(paywatch:api_request_duration_seconds:p95_5m * 10000)', samples: [{ labels: '{}', value: 4875 }] },
    { expr: 'round(paywatch:api_request_duration_seconds:p50_5m * 10000)', samples: [{ labels: '{}', value: 3750 }] },
    { expr: 'round(paywatch:api_request_duration_seconds:p99_5m * 10000)', samples: [{ labels: '{}', value: 4975 }] },
    { expr: 'paywatch:availability:ratio_avg5m', samples: [{ labels: 'paywatch:availability:ratio_avg5m', value: 0.5 }] },
    {
      expr: 'service:probe_success:avg5m',
      samples: [
        { labels: 'service:probe_success:avg5m{service="payments-api"}', value: 1 },
        { labels: 'service:probe_success:avg5m{service="lms"}', value: 0 },
      ],
    },
    { expr: 'paywatch:lms_posting_queue_depth:max5m', samples: [{ labels: 'paywatch:lms_posting_queue_depth:max5m', value: 100 }] },
    { expr: 'round(paywatch:lms_posting_queue_depth:deriv5m * 10000)', samples: [{ labels: '{}', value: 1667 }] },
    { expr: 'round(paywatch:rfid_success_ratio:rate5m * 10000)', samples: [{ labels: '{}', value: 9500 }] },
    { expr: 'round(paywatch:db_connections_used:ratio * 10000)', samples: [{ labels: '{}', value: 7000 }] },
    // BR0002 has no target today: no ratio rather than +Inf.
    {
      expr: 'branch:collections_vs_target:ratio',
      samples: [{ labels: 'branch:collections_vs_target:ratio{branch="BR0001"}', value: 0.5 }],
    },
    { expr: 'paywatch:collections_vs_target:ratio', samples: [{ labels: 'paywatch:collections_vs_target:ratio', value: 0.8 }] },
  ],
};

const RECORDING_MANDATES: RecordingCase = {
  name: 'mandate registration success by branch, channel and fleet over an hour',
  evalTime: '70m',
  input: [
    s(
      'mandate_registrations_total{branch="BR0001", channel="upi_autopay", status="success", instance="127.0.0.1:9401", job="payments"}',
      '0+9x80',
    ),
    s(
      'mandate_registrations_total{branch="BR0001", channel="upi_autopay", status="failed", instance="127.0.0.1:9401", job="payments"}',
      '0+1x80',
    ),
    s(
      'mandate_registrations_total{branch="BR0002", channel="nach", status="success", instance="127.0.0.1:9401", job="payments"}',
      '0+3x80',
    ),
    s('mandate_registrations_total{branch="BR0002", channel="nach", status="failed", instance="127.0.0.1:9401", job="payments"}', '0+3x80'),
  ],
  checks: [
    { expr: 'round(paywatch:mandate_registration_success_ratio:rate1h * 10000)', samples: [{ labels: '{}', value: 7500 }] },
    {
      expr: 'round(channel:mandate_registration_success_ratio:rate1h * 10000)',
      samples: [
        { labels: '{channel="nach"}', value: 5000 },
        { labels: '{channel="upi_autopay"}', value: 9000 },
      ],
    },
    {
      expr: 'round(branch:mandate_registration_success_ratio:rate1h * 10000)',
      samples: [
        { labels: '{branch="BR0001"}', value: 9000 },
        { labels: '{branch="BR0002"}', value: 5000 },
      ],
    },
  ],
};

const RECORDING_NO_ERRORS: RecordingCase = {
  name: 'ratios of errors are 0, not absent, when nothing failed',
  evalTime: '10m',
  input: [api('200', 60), api('404', 6)],
  checks: [{ expr: 'paywatch:api_error_ratio:rate5m', samples: [{ labels: 'paywatch:api_error_ratio:rate5m', value: 0 }] }],
};

const RECORDING_1H: RecordingCase = {
  name: 'failures in the last hour by branch, reason, channel and in total; errors in 5 minutes',
  evalTime: '70m',
  input: [
    // Prometheus 3's range selectors are open on the left: the hour before 70m holds the samples
    // from 11m on, so each counter is still 0 at 11m and its failures come after.
    s('payment_failures_total{branch="BR0001", channel="upi", reason="gateway_timeout"}', '0x11 1 2 3x69'),
    s('payment_failures_total{branch="BR0001", channel="nach", reason="insufficient_funds"}', '0x11 5 10x69'),
    s('payment_failures_total{branch="BR0002", channel="card", reason="declined"}', '0x11 2x69'),
    s('payment_failures_total{branch="BR0002", channel="card", reason="technical_error"}', '0x66 4x10'),
    // BR0003 took payments and had no failure: 0 actionable failures, not an absent series.
    s('payments_total{branch="BR0003", channel="upi", status="success"}', '0+5x80'),
    s('lms_postings_total{branch="BR0001", outcome="failed"}', '0x11 7x69'),
  ],
  checks: [
    {
      expr: 'branch:payment_failures:increase1h',
      samples: [
        { labels: 'branch:payment_failures:increase1h{branch="BR0001"}', value: 13 },
        { labels: 'branch:payment_failures:increase1h{branch="BR0002"}', value: 6 },
      ],
    },
    {
      expr: 'branch:payment_actionable_failures:increase1h',
      samples: [
        { labels: 'branch:payment_actionable_failures:increase1h{branch="BR0001"}', value: 3 },
        { labels: 'branch:payment_actionable_failures:increase1h{branch="BR0002"}', value: 6 },
        { labels: 'branch:payment_actionable_failures:increase1h{branch="BR0003"}', value: 0 },
      ],
    },
    {
      expr: 'reason:payment_failures:increase1h',
      samples: [
        { labels: 'reason:payment_failures:increase1h{reason="gateway_timeout"}', value: 3 },
        { labels: 'reason:payment_failures:increase1h{reason="insufficient_funds"}', value: 10 },
        { labels: 'reason:payment_failures:increase1h{reason="declined"}', value: 2 },
        { labels: 'reason:payment_failures:increase1h{reason="technical_error"}', value: 4 },
      ],
    },
    {
      expr: 'channel:payment_failures:increase1h',
      samples: [
        { labels: 'channel:payment_failures:increase1h{channel="upi"}', value: 3 },
        { labels: 'channel:payment_failures:increase1h{channel="nach"}', value: 10 },
        { labels: 'channel:payment_failures:increase1h{channel="card"}', value: 6 },
      ],
    },
    { expr: 'paywatch:payment_failures:increase1h', samples: [{ labels: 'paywatch:payment_failures:increase1h', value: 19 }] },
    // The worst branch by actionable failures: BR0002's 6, not BR0001's 13 of which 10 are insufficient funds.
    {
      expr: 'paywatch:payment_actionable_failures_worst_branch:increase1h',
      samples: [{ labels: 'paywatch:payment_actionable_failures_worst_branch:increase1h', value: 6 }],
    },
    { expr: 'paywatch:payment_failures:increase5m', samples: [{ labels: 'paywatch:payment_failures:increase5m', value: 4 }] },
    { expr: 'paywatch:payment_system_errors:increase5m', samples: [{ labels: 'paywatch:payment_system_errors:increase5m', value: 4 }] },
    {
      expr: 'branch:lms_posting_failures:increase1h',
      samples: [{ labels: 'branch:lms_posting_failures:increase1h{branch="BR0001"}', value: 7 }],
    },
  ],
};

const RECORDING_1D: RecordingCase = {
  name: 'daily revenue and field collections per officer',
  evalTime: '24h',
  input: [
    s('payment_amount_total{branch="BR0001", channel="upi"}', '0+1000x30'),
    s('field_collections_total{branch="BR0001", officer="BR0001-FO01", otp="verified"}', '0+10x30'),
    s('field_collections_total{branch="BR0001", officer="BR0001-FO01", otp="failed"}', '0+1x30'),
    s('field_collection_amount_total{branch="BR0001", officer="BR0001-FO01"}', '0+5000x30'),
  ],
  checks: [
    { expr: 'paywatch:payment_amount_inr:increase1d', samples: [{ labels: 'paywatch:payment_amount_inr:increase1d', value: 24000 }] },
    {
      expr: 'branch:payment_amount_inr:increase1d',
      samples: [{ labels: 'branch:payment_amount_inr:increase1d{branch="BR0001"}', value: 24000 }],
    },
    {
      expr: 'officer:field_collections:increase1d',
      samples: [
        { labels: 'officer:field_collections:increase1d{branch="BR0001", officer="BR0001-FO01", otp="verified"}', value: 240 },
        { labels: 'officer:field_collections:increase1d{branch="BR0001", officer="BR0001-FO01", otp="failed"}', value: 24 },
      ],
    },
    {
      expr: 'officer:field_collection_amount_inr:increase1d',
      samples: [{ labels: 'officer:field_collection_amount_inr:increase1d{branch="BR0001", officer="BR0001-FO01"}', value: 120000 }],
    },
    {
      expr: 'round(officer:field_otp_success_ratio:ratio1d * 10000)',
      samples: [{ labels: '{branch="BR0001", officer="BR0001-FO01"}', value: 9091 }],
    },
  ],
};

const SETTLED_CASE: RecordingCase = {
  name: 'success rate as first reported and settled by T+1: yesterday 90%, 2 reversals an hour since',
  evalTime: '48h',
  input: [
    s('payments_total{branch="BR0001", channel="nach", status="success"}', '0+90x50'),
    s('payments_total{branch="BR0001", channel="nach", status="failed"}', '0+10x50'),
    s('payment_reversals_total{branch="BR0001", channel="nach", reason="nach_return"}', '0+2x50'),
  ],
  checks: [
    {
      expr: 'round(paywatch:payment_first_reported_success_ratio:increase1d * 10000)',
      samples: [{ labels: '{}', value: 9000 }],
    },
    {
      expr: 'round(paywatch:payment_settled_success_ratio:increase1d * 10000)',
      samples: [{ labels: '{}', value: 8800 }],
    },
    {
      expr: 'paywatch:payment_first_reported_success_ratio:increase1d > 0 and paywatch:payment_settled_success_ratio:increase1d > 0',
      samples: [{ labels: 'paywatch:payment_first_reported_success_ratio:increase1d', value: 0.9 }],
    },
    {
      expr: 'reason:payment_reversals:increase1d',
      samples: [{ labels: 'reason:payment_reversals:increase1d{reason="nach_return"}', value: 48 }],
    },
  ],
};

// The planned maintenance window from Prometheus's clock. Epoch time starts on Thursday 1970-01-01,
// so Sunday 1970-01-11 is a second Sunday: its 02:00-05:00 IST is 9d20h30m-9d23h30m (UTC). No input
// series: the rule reads time() only.
const active = 'paywatch:maintenance_window:active';
const MAINTENANCE_CASE: RecordingCase = {
  name: 'the planned maintenance window: second Sunday of the month, 02:00-05:00 IST, and its aftermath',
  input: [],
  evalTime: '9d20h30m',
  checks: [
    { expr: active, evalTime: '2d21h', samples: [] }, // first Sunday, 02:30 IST
    { expr: active, evalTime: '8d21h', samples: [] }, // Saturday the 10th, 02:30 IST
    { expr: active, evalTime: '9d20h15m', samples: [] }, // 01:45 IST
    { expr: active, evalTime: '9d20h30m', samples: [{ labels: active, value: 1 }] }, // 02:00 IST
    { expr: active, evalTime: '9d23h15m', samples: [{ labels: active, value: 1 }] }, // 04:45 IST
    { expr: active, evalTime: '9d23h30m', samples: [] }, // 05:00 IST: over
    {
      expr: 'count by (aftermath) (ALERTS{alertname="PlannedMaintenance", alertstate="firing"})',
      evalTime: '9d23h15m',
      samples: [
        { labels: '{aftermath="0m"}', value: 1 },
        { labels: '{aftermath="7m"}', value: 1 },
        { labels: '{aftermath="62m"}', value: 1 },
      ],
    },
    {
      // 05:00 IST: the outage itself is no longer explained; its symptoms still are.
      expr: 'count by (aftermath) (ALERTS{alertname="PlannedMaintenance", alertstate="firing"})',
      evalTime: '9d23h30m',
      samples: [
        { labels: '{aftermath="7m"}', value: 1 },
        { labels: '{aftermath="62m"}', value: 1 },
      ],
    },
    {
      // 05:15 IST: only the symptoms over an hour's data are.
      expr: 'count by (aftermath) (ALERTS{alertname="PlannedMaintenance", alertstate="firing"})',
      evalTime: '9d23h45m',
      samples: [{ labels: '{aftermath="62m"}', value: 1 }],
    },
    {
      // 06:15 IST: nothing left of it.
      expr: 'count(ALERTS{alertname="PlannedMaintenance"})',
      evalTime: '10d0h45m',
      samples: [],
    },
  ],
};

// An incident's aftermath (aftermath.ts): an LMS outage from minute 5 to minute 20 (lms_up 0 from
// 5m, 1 again from 20m, one sample a minute). IncidentAftermath{root_cause="lms"} fires with
// LmsDown (its condition and `for`) and is kept firing for each aftermath after the condition
// clears at 20m: firing one minute before 20m + aftermath, resolved at 20m + aftermath
// (Prometheus keeps firing while less than keep_firing_for has passed since it cleared).
const LMS_AFTERMATHS = aftermathSources()
  .filter((s) => s.rootCause === 'lms')
  .map((s) => s.aftermath);
const lmsAftermath = `count by (aftermath) (ALERTS{alertname="${AFTERMATH_ALERT}", root_cause="lms", alertstate="firing"})`;
const CLEARED_MINUTE = 20;
const AFTERMATH_CASE: RecordingCase = {
  name: "an incident's aftermath: IncidentAftermath fires with LmsDown and outlives it by each aftermath, to the minute",
  input: [{ series: 'lms_up{instance="127.0.0.1:9402", job="lms"}', values: `1x4 0x14 1x${CLEARED_MINUTE + 70}` }],
  evalTime: '10m',
  checks: [
    { expr: lmsAftermath, evalTime: '4m', samples: [] }, // the LMS is up: nothing
    { expr: lmsAftermath, samples: LMS_AFTERMATHS.map((a) => ({ labels: `{aftermath="${a}"}`, value: 1 })) }, // 10m: the outage
    ...LMS_AFTERMATHS.flatMap((aftermath, i) => {
      const end = CLEARED_MINUTE + durationSeconds(aftermath) / 60;
      return [
        {
          expr: lmsAftermath,
          evalTime: `${end - 1}m`,
          samples: LMS_AFTERMATHS.slice(i).map((a) => ({ labels: `{aftermath="${a}"}`, value: 1 })),
        },
        {
          expr: lmsAftermath,
          evalTime: `${end}m`,
          samples: LMS_AFTERMATHS.slice(i + 1).map((a) => ({ labels: `{aftermath="${a}"}`, value: 1 })),
        },
      ];
    }),
  ],
};

export const RULE_TEST_FILES: TestFile[] = [
  ...SLO_TEST_FILES,
  ...PACE_TEST_FILES,
  { file: 'alerts-1m.test.yml', interval: '1m', alertCases: MINUTE_CASES, recordingCases: [] },
  { file: 'alerts-probes.test.yml', interval: '15s', alertCases: [...PROBE_CASES, ...SECURITY_CASES], recordingCases: [] },
  {
    file: 'recording.test.yml',
    interval: '1m',
    alertCases: [],
    recordingCases: [RECORDING_5M, RECORDING_NO_ERRORS, RECORDING_1H, RECORDING_MANDATES],
  },
  { file: 'recording-daily.test.yml', interval: '1h', alertCases: [], recordingCases: [RECORDING_1D, SETTLED_CASE] },
  { file: 'maintenance.test.yml', interval: '15m', alertCases: [], recordingCases: [MAINTENANCE_CASE] },
  { file: 'aftermath.test.yml', interval: '1m', alertCases: [], recordingCases: [AFTERMATH_CASE] },
  // The machines and the database server (rule-tests-servers.ts).
  { file: 'alerts-servers.test.yml', interval: '1m', alertCases: SERVER_ALERT_CASES, recordingCases: SERVER_RECORDING_CASES },
  // The KPIs that declare their ratio and alert in the contract (kpi-ratios.ts).
  ...ratioTestFiles(ratioVolumeFloor),
];

function renderLabels(text: string, labels: Record<string, string>): string {
  return text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? '');
}

function expectedAlert(c: AlertCase, e: ExpectedAlert) {
  const alert = alertByName(c.alert);
  const level = alert.levels.find(
    (l) => l.incidentClass === e.incidentClass && Object.entries(e.levelLabels ?? {}).every(([k, v]) => l.labels?.[k] === v),
  );
  if (!level) throw new Error(`${c.alert} has no ${e.incidentClass} level`);
  const rule = alertRule(alert, level);
  const labels = { ...(e.labels ?? {}) };
  return {
    exp_labels: { ...labels, ...rule.labels },
    exp_annotations: {
      summary: renderLabels(rule.annotations.summary!, labels),
      description: e.description,
      impact: alert.impact,
      runbook_url: runbookUrl(alert.name),
    },
  };
}

/** What a test file loads unless it says: the SLOs' windows (slo.yml) only where they are tested, they are the slowest to evaluate. */
const DEFAULT_RULE_FILES = ['recording.yml', 'alerts.yml'];

/** The groups of the generated rule files, recording rules first. */
function groupOrder(files: string[]): string[] {
  const all = ruleFiles();
  const groups = (name: string) => (parse(all[name]!) as { groups: Array<{ name: string }> }).groups.map((g) => g.name);
  const alerting = files.filter((f) => f === 'alerts.yml');
  return [...files.filter((f) => f !== 'alerts.yml').flatMap(groups), ...alerting.flatMap(groups)];
}

function testFileYaml(file: TestFile): string {
  const tests: unknown[] = [];
  // One promtool test per input: the alert cases, then the recording-rule cases.
  for (const c of file.alertCases) {
    tests.push({
      name: `${c.alert}: ${c.name}`,
      interval: file.interval,
      input_series: c.input,
      alert_rule_test: [{ eval_time: c.evalTime, alertname: c.alert, exp_alerts: c.expect.map((e) => expectedAlert(c, e)) }],
    });
  }
  for (const c of file.recordingCases) {
    tests.push({
      name: c.name,
      interval: file.interval,
      input_series: c.input,
      promql_expr_test: c.checks.map((check) => ({
        expr: check.expr,
        eval_time: check.evalTime ?? c.evalTime,
        exp_samples: check.samples,
      })),
    });
  }
  const doc = new Document({
    rule_files: (file.ruleFiles ?? DEFAULT_RULE_FILES).map((f) => `../rules/${f}`),
    evaluation_interval: file.interval,
    ...(file.recordingFirst ? { group_eval_order: groupOrder(file.ruleFiles ?? DEFAULT_RULE_FILES) } : {}),
    tests,
  });
  doc.commentBefore = ` ${GENERATED_HEADER.replace('from kpi/src (spec.ts, recording.ts, alerts.ts)', 'from kpi/src/rule-tests.ts').split('\n').join('\n ')}`;
  return doc.toString({ lineWidth: 0 });
}

export function ruleTestFiles(): Record<string, string> {
  return Object.fromEntries(RULE_TEST_FILES.map((f) => [f.file, testFileYaml(f)]));
}
