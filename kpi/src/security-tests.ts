// promtool cases of the security alerts, evaluated every 15 s (a one-minute increase needs more
// than one sample in its minute). Each at its threshold (quiet) and just past it (fires).
import type { AlertCase, Series } from './rule-tests.ts';

const s = (series: string, values: string): Series => ({ series, values });
const API = 'service="payments-api", instance="127.0.0.1:9400", job="payments-api"';

export const SECURITY_CASES: AlertCase[] = [
  {
    alert: 'FailedLoginsHigh',
    name: '5 failed logins a minute: at the threshold, nothing',
    input: [s(`auth_login_failures_total{${API}}`, '0+1.25x20')],
    evalTime: '4m',
    expect: [],
  },
  {
    alert: 'FailedLoginsHigh',
    name: '6 failed logins a minute: the security team hears at once',
    input: [s(`auth_login_failures_total{${API}}`, '0+1.5x20')],
    evalTime: '4m',
    expect: [
      {
        incidentClass: 'Sev3',
        description: '6 logins to the payments portal failed in the last minute (threshold 5): someone may be guessing passwords.',
      },
    ],
  },
  {
    alert: 'RateLimitingHigh',
    name: '20 requests refused in 5 minutes: at the threshold, nothing',
    input: [s(`http_rate_limited_total{${API}, route="/api/login"}`, '0+1x60')],
    evalTime: '12m',
    expect: [],
  },
  {
    alert: 'RateLimitingHigh',
    name: '40 login requests refused every 5 minutes, for 5 minutes',
    input: [
      s(`http_rate_limited_total{${API}, route="/api/login"}`, '0+2x60'),
      s(`http_rate_limited_total{${API}, route="/api/payments"}`, '0x60'),
    ],
    evalTime: '12m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { route: '/api/login' },
        description:
          'The payments API refused 40 requests to /api/login in the last 5 minutes for coming too fast (threshold 20), for 5 minutes.',
      },
    ],
  },
  {
    alert: 'SuspiciousRequests',
    name: 'no suspicious request',
    input: [s(`http_suspicious_requests_total{${API}, pattern="credential_stuffing"}`, '0x30')],
    evalTime: '5m',
    expect: [],
  },
  {
    alert: 'SuspiciousRequests',
    name: 'one request matching credential stuffing',
    input: [
      s(`http_suspicious_requests_total{${API}, pattern="credential_stuffing"}`, '0x10 1x20'),
      s(`http_suspicious_requests_total{${API}, pattern="loan_enumeration"}`, '0x30'),
    ],
    evalTime: '5m',
    expect: [
      {
        incidentClass: 'Sev3',
        labels: { pattern: 'credential_stuffing' },
        description:
          '1 requests in the last 5 minutes matched the credential_stuffing pattern (one client trying many users or many unknown loans in a minute).',
      },
    ],
  },
];
