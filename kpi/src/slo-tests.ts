// promtool tests of the error budgets and burn-rate alerts (slo.ts), generated into
// prometheus/tests/slo*.test.yml with the other rule tests. Each window pair is shown at its
// boundary: a clean history at least as long as the windows it must not trip, then a constant
// burn; one evaluation before the long window reaches its burn rate nothing fires, and once it has
// (and `for` has passed) exactly that window's level does. Then the volume floor: a quiet hour
// pages nobody, quiet branches count at the fleet level, a busy branch alerts alone.
// Descriptions are written out here, not rendered by the code under test.
import type { AlertCase, ExpectedAlert, RecordingCase, Series, TestFile } from './rule-tests.ts';

const s = (series: string, values: string): Series => ({ series, values });

const API = 'service="payments-api", route="/api/payments", method="POST", status="200"';

/** API requests per step (`count`) of which `fast` answer within 500 ms, as promtool expanding notation. */
const latency = (count: string, fast: string): Series[] => [
  s(`http_request_duration_seconds_count{${API}}`, count),
  s(`http_request_duration_seconds_bucket{${API}, le="0.5"}`, fast),
];

const realtime = (branch: string, success: string, failed: string): Series[] => [
  s(`payments_total{branch="${branch}", channel="upi", status="success"}`, success),
  s(`payments_total{branch="${branch}", channel="upi", status="failed"}`, failed),
];

const probe = (target: string, values: string) =>
  s(`probe_success{job="blackbox", instance="127.0.0.1:9115", service="gateway", target="${target}"}`, values);

const postings = (branch: string, posted: string, failed: string): Series[] => [
  s(`lms_postings_total{branch="${branch}", outcome="posted"}`, posted),
  s(`lms_postings_total{branch="${branch}", outcome="failed"}`, failed),
];

const THRESHOLD = { '1h': ['5m', 14.4, '2%'], '6h': ['30m', 6, '5%'], '1d': ['2h', 3, '10%'], '3d': ['6h', 1, '10%'] } as const;

/** The rendered description of a burn-rate alert, by hand. */
function burning(
  what: string,
  where: string,
  objective: string,
  budget: string,
  events: string,
  long: keyof typeof THRESHOLD,
  value: string,
) {
  const [short, burn, spent] = THRESHOLD[long];
  return (
    `With ${what}${where}, the ${objective} objective's error budget (${budget} of ${events}) burned ${value} times faster than it lasts 30d ` +
    `over the last ${long}, and still over the last ${short} (threshold ${burn}x: ${spent} of the 30d budget gone in ${long}).`
  );
}

const LATENCY_EVENTS = 'payments API requests (health checks excluded)';
const latencyBurn = (long: keyof typeof THRESHOLD, value: string) =>
  burning('payments API requests slower than 500ms', '', '95%', '5%', LATENCY_EVENTS, long, value);

const PAYMENT_EVENTS = 'real-time payments (UPI, QR, BBPS, card, net banking) that reached a final status';
const paymentBurn = (where: string, long: keyof typeof THRESHOLD, value: string) =>
  burning('real-time payments failing', where, '99%', '1%', PAYMENT_EVENTS, long, value);

const page = (long: '1h' | '6h', description: string, labels?: Record<string, string>): ExpectedAlert => ({
  incidentClass: 'Sev2',
  levelLabels: { long_window: long },
  labels: { slo: SLO_OF[current]!, ...labels },
  description,
});
const ticket = (long: '1d' | '3d', description: string, labels?: Record<string, string>): ExpectedAlert => ({
  incidentClass: 'Sev3',
  levelLabels: { long_window: long },
  labels: { slo: SLO_OF[current]!, ...labels },
  description,
});

const SLO_OF: Record<string, string> = {
  ApiLatencyBudgetBurn: 'api_latency',
  PaymentSuccessBudgetBurn: 'payment_success',
  AvailabilityBudgetBurn: 'availability',
  LmsPostingBudgetBurn: 'lms_posting',
};
let current = '';
/** Sets the alert the expectations below are about (their `slo` label). */
function about<T>(alert: string, make: () => T): T {
  current = alert;
  return make();
}

// Inputs of the window tests are the SLO's recorded event rates (per second), so that a step can
// be long; the raw series -> event rates part is in the one-minute cases.
const latencyRates = (bad: string): Series[] => [
  s('paywatch:slo_events:rate5m{slo="api_latency"}', '1x400'),
  s('paywatch:slo_bad_events:rate5m{slo="api_latency"}', bad),
];

const MINUTE_CASES: AlertCase[] = [
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: 'every request within 500 ms: nothing',
    input: latency('0+100x80', '0+100x80'),
    evalTime: '70m',
    expect: [],
  })),
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: 'every request slower than 500 ms from the start (20x): every window',
    input: latency('0+100x80', '0x80'),
    evalTime: '70m',
    expect: [
      page('1h', latencyBurn('1h', '20.0')),
      page('6h', latencyBurn('6h', '20.0')),
      ticket('1d', latencyBurn('1d', '20.0')),
      ticket('3d', latencyBurn('3d', '20.0')),
    ],
  })),
  about('PaymentSuccessBudgetBurn', () => ({
    alert: 'PaymentSuccessBudgetBurn',
    name: 'a quiet hour: one payment a minute, every one failing, is under the 100 an hour floor: nothing',
    input: realtime('BR0001', '0x80', '0+1x80'),
    evalTime: '70m',
    expect: [],
  })),
  about('PaymentSuccessBudgetBurn', () => ({
    alert: 'PaymentSuccessBudgetBurn',
    name: 'three quiet branches failing every payment: none alone, the fleet (180 an hour) fires every window',
    input: [...realtime('BR0001', '0x80', '0+1x80'), ...realtime('BR0002', '0x80', '0+1x80'), ...realtime('BR0003', '0x80', '0+1x80')],
    evalTime: '70m',
    expect: [
      page('1h', paymentBurn(' across the fleet', '1h', '100.0')),
      page('6h', paymentBurn(' across the fleet', '6h', '100.0')),
      ticket('1d', paymentBurn(' across the fleet', '1d', '100.0')),
      ticket('3d', paymentBurn(' across the fleet', '3d', '100.0')),
    ],
  })),
  about('PaymentSuccessBudgetBurn', () => ({
    alert: 'PaymentSuccessBudgetBurn',
    name: 'one busy branch failing 20% while the fleet is fine (0.8%): the branch alone, at every window',
    input: [...realtime('BR0002', '0+160x80', '0+40x80'), ...realtime('BR0003', '0+5000x80', '0x80')],
    evalTime: '70m',
    expect: [
      page('1h', paymentBurn(' at BR0002', '1h', '20.0'), { branch: 'BR0002' }),
      page('6h', paymentBurn(' at BR0002', '6h', '20.0'), { branch: 'BR0002' }),
      ticket('1d', paymentBurn(' at BR0002', '1d', '20.0'), { branch: 'BR0002' }),
      ticket('3d', paymentBurn(' at BR0002', '3d', '20.0'), { branch: 'BR0002' }),
    ],
  })),
  about('AvailabilityBudgetBurn', () => ({
    alert: 'AvailabilityBudgetBurn',
    name: 'every health check answering: nothing',
    input: [
      probe('http://127.0.0.1:9400/gateways/gateway_a/health', '1x80'),
      probe('http://127.0.0.1:9400/gateways/gateway_b/health', '1x80'),
    ],
    evalTime: '70m',
    expect: [],
  })),
  about('AvailabilityBudgetBurn', () => ({
    alert: 'AvailabilityBudgetBurn',
    name: 'one of two gateways failing its checks for an hour (50%): every window',
    input: [
      probe('http://127.0.0.1:9400/gateways/gateway_a/health', '1x80'),
      probe('http://127.0.0.1:9400/gateways/gateway_b/health', '0x80'),
    ],
    evalTime: '70m',
    expect: (['1h', '6h', '1d', '3d'] as const).map((long) =>
      (long === '1h' || long === '6h' ? page : ticket)(
        long as never,
        burning('health checks failing', '', '99.9%', '0.1%', 'health probes of the payments API, the LMS and the gateways', long, '500.0'),
      ),
    ),
  })),
  about('LmsPostingBudgetBurn', () => ({
    alert: 'LmsPostingBudgetBurn',
    name: 'postings all going through: nothing',
    input: postings('BR0001', '0+10x80', '0x80'),
    evalTime: '70m',
    expect: [],
  })),
  about('LmsPostingBudgetBurn', () => ({
    alert: 'LmsPostingBudgetBurn',
    name: 'a fifth of postings failing at the one branch posting (under the floor alone? no: 600 an hour): the fleet, every window',
    input: postings('BR0001', '0+8x80', '0+2x80'),
    evalTime: '70m',
    expect: (['1h', '6h', '1d', '3d'] as const).map((long) =>
      (long === '1h' || long === '6h' ? page : ticket)(
        long as never,
        burning(
          'receipt postings to the LMS failing',
          ' across the fleet',
          '99%',
          '1%',
          'receipt postings to the LMS that reached a terminal state',
          long,
          '20.0',
        ),
      ),
    ),
  })),
];

// Every window at its boundary. A step of 5 minutes: a clean day (so that a 1x burn over 3 days
// is not reached by the hour-long outage), then every request slow (20x): after k+1 slow
// steps the hour burns (k+1)/12 / 5% = 1.67(k+1)x, past 14.4x at the 9th step.
const HOUR_CASES: AlertCase[] = [
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: '1h/5m: 8 slow steps of 12 (13.3x), nothing yet',
    input: latencyRates('0x287 1x20'),
    evalTime: '1d35m',
    expect: [],
  })),
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: '1h/5m: 15x at 1d40m, firing one step later at 16.7x; 6h (2.8x), 1d and 3d (0.7x) stay under theirs',
    input: latencyRates('0x287 1x20'),
    evalTime: '1d45m',
    expect: [page('1h', latencyBurn('1h', '16.7'))],
  })),
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: '1h/5m: the outage ended: the hour still burns 18x, the last 5 minutes do not, so it resolves',
    input: latencyRates('0x287 1x11 0x20'),
    evalTime: '1d1h',
    expect: [],
  })),
];

// A step of 20 minutes: three clean days, so that every window starts clean, then a constant burn.
const LONG_CASES: AlertCase[] = [
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: '6h/30m: 40% slow (8x) for 13 steps of 18: 5.8x, nothing yet',
    input: latencyRates('0x215 0.4x20'),
    evalTime: '3d4h',
    expect: [],
  })),
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: '6h/30m: 6.2x at 3d4h20m, firing one step later at 6.7x (1h at 8x is under 14.4x)',
    input: latencyRates('0x215 0.4x20'),
    evalTime: '3d4h40m',
    expect: [page('6h', latencyBurn('6h', '6.7'))],
  })),
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: '1d/2h and 3d/6h: 20% slow (4x) for 54 steps is exactly 3x a day and 1x three days: nothing',
    input: latencyRates('0x215 0.2x60'),
    evalTime: '3d17h40m',
    expect: [],
  })),
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: '1d/2h and 3d/6h: past both one step later, both tickets the step after',
    input: latencyRates('0x215 0.2x60'),
    evalTime: '3d18h20m',
    expect: [ticket('1d', latencyBurn('1d', '3.1')), ticket('3d', latencyBurn('3d', '1.0'))],
  })),
  about('ApiLatencyBudgetBurn', () => ({
    alert: 'ApiLatencyBudgetBurn',
    name: '3d/6h alone: 10% slow (2x) never makes 3x a day; past 1x three days after 109 steps',
    input: latencyRates('0x215 0.1x120'),
    evalTime: '4d12h20m',
    expect: [ticket('3d', latencyBurn('3d', '1.0'))],
  })),
];

const BUDGET_CASES: RecordingCase[] = [
  {
    name: 'the LMS posting success KPI: 9 of 10 postings posted over 15 minutes',
    evalTime: '25m',
    input: postings('BR0001', '0+9x30', '0+1x30'),
    checks: [{ expr: 'round(paywatch:lms_posting_success_ratio:rate15m * 10000)', samples: [{ labels: '{}', value: 9000 }] }],
  },
  {
    name: 'error budget remaining over 30 days: 0.5% of real-time payments failed against a 1% budget leaves half',
    evalTime: '70m',
    input: realtime('BR0001', '0+199x80', '0+1x80'),
    checks: [
      { expr: 'round(paywatch:slo_error_budget_remaining:ratio30d * 1000)', samples: [{ labels: '{slo="payment_success"}', value: 500 }] },
      {
        expr: 'paywatch:slo_objective:ratio{slo="payment_success"}',
        samples: [{ labels: 'paywatch:slo_objective:ratio{slo="payment_success"}', value: 0.99 }],
      },
    ],
  },
];

// 1970-01-01 (promtool's time 0) was a Thursday: the 4th was the first Sunday, the 11th the second.
// 02:00-05:00 IST on the 11th is 20:30-23:30 UTC on the 10th. Health probes every 30 minutes (one
// in each 5-minute window): counted as events except in the window and its 5 minutes after.
const counted = (evalTime: string) => ({
  expr: 'round(paywatch:slo_events:rate5m{slo="availability"} * 300)',
  evalTime,
  samples: [{ labels: '{slo="availability"}', value: 1 }],
});
const notCounted = (evalTime: string) => ({ expr: 'paywatch:slo_events:rate5m{slo="availability"}', evalTime, samples: [] });
const MAINTENANCE_CASES: RecordingCase[] = [
  {
    name: 'the planned maintenance window spends no budget: events are not counted in it (second Sunday, 02:00-05:00 IST) nor its 5 minutes after',
    evalTime: '0m',
    input: [probe('http://127.0.0.1:9400/gateways/gateway_a/health', '1x820')],
    checks: [
      counted('3d20h30m'), // the first Sunday, 02:00 IST
      counted('9d20h'), // the second Sunday, 01:30 IST
      notCounted('9d20h30m'), // 02:00 IST
      notCounted('9d23h'), // 04:30 IST
      notCounted('9d23h30m'), // 05:00 IST: the 5-minute rates still hold the window
      counted('10d'), // 05:30 IST
      counted('16d21h'), // the third Sunday, 02:30 IST
    ],
  },
];

export const SLO_TEST_FILES: TestFile[] = [
  { file: 'slo-maintenance.test.yml', interval: '30m', ruleFiles: ['slo.yml'], alertCases: [], recordingCases: MAINTENANCE_CASES },
  {
    file: 'slo.test.yml',
    interval: '1m',
    ruleFiles: ['recording.yml', 'slo.yml', 'alerts.yml'],
    alertCases: MINUTE_CASES,
    recordingCases: BUDGET_CASES,
  },
  {
    file: 'slo-hour.test.yml',
    interval: '5m',
    ruleFiles: ['slo.yml', 'alerts.yml'],
    recordingFirst: true,
    alertCases: HOUR_CASES,
    recordingCases: [],
  },
  {
    file: 'slo-long.test.yml',
    interval: '20m',
    ruleFiles: ['slo.yml', 'alerts.yml'],
    recordingFirst: true,
    alertCases: LONG_CASES,
    recordingCases: [],
  },
];
