// The raw history: the exporters' (and the payments API's and prober's) series over N days,
// computed from the simulator's business model (simulator/src/model: the same pure functions and
// declared activities the live simulator draws from), so it has the live simulation's calendar: the late-morning peak, the
// early-morning mandate batch, quiet Sundays, the month-start EMI surge, LMS downtime, gateway
// degradations, the maintenance window. Only raw series: the recording rules' history is evaluated
// from these by Prometheus (rules.ts), never computed here.
//
// buildHistory runs these steps:
//   1. planIncidents   the incidents over the range, from the seed (the live simulator has the same)
//   2. openSeries      every series, through the families the live stack declares (series.ts)
//   3. replayModel     the model stepped over the timeline's times (timeline.ts); at each time the
//                      business (business.ts) and the platform (platform.ts) move on, and every
//                      series whose timeline keeps that time records its value
//   4. collectFamilies the families with their samples, ready for OpenMetrics
import {
  branchProfiles,
  DAY_MS,
  episodesBetween,
  gatewayDegradations,
  GATEWAYS,
  istParts,
  lmsDowntime,
  readerOutages,
  within,
  type BranchProfile,
  type Episode,
  type Gateway,
} from '@paywatch/simulator/model';
import { openBusiness, settlePostings, stepActivities, stepOutbox, stepPayments, stepVerifications, type Business } from './business.ts';
import type { Family } from './openmetrics.ts';
import { databaseServerOf, openPlatform, postgresInstance, sampleGauges, stepApi, type Platform } from './platform.ts';
import { SeriesSet } from './series.ts';
import { inFineStretch, keepsBranch, keepsFleet, tickTimes, type Timeline } from './timeline.ts';

export interface Instances {
  payments: string;
  lms: string;
  rfid: string;
  pool: string;
  api: string;
  blackbox: string;
  apiHost: string;
  /** postgres_exporter's target, and the database server it reports on (its `server` label); absent in older histories' state. */
  postgres?: string;
  databaseServer?: string;
}

export interface HistoryOptions {
  /** Simulator fleet: the same values the live simulator runs with. */
  seed: number;
  branches: number;
  officersPerBranch: number;
  perBranchPerDay: number;
  timeline: Timeline;
  /** host:port instance labels, as Prometheus will scrape the live exporters (continuity). */
  instances: Instances;
  /** Called after each simulated day. */
  onDay?: (done: number, total: number) => void;
  /** Incidents added to the natural ones (benchmarks inject the simulator's scenarios into a history). */
  injected?: InjectedIncidents;
}

/** The simulator's scenarios as history: LMS outage, a gateway outage, every RFID reader down, a slow database, a burst of failed logins. */
export interface InjectedIncidents {
  lmsDown?: Episode[];
  gatewayDown?: Array<{ gateway: Gateway; episode: Episode }>;
  rfidDown?: Episode[];
  /** The simulator's slow_database: the API's database time x20, its health check failing, more technical errors. */
  slowDatabase?: Episode[];
  /**
   * Someone guessing passwords: failed portal logins at `perMinute` on top of customers' own typos.
   * Only an injected history has the API's login counter (kept every FINE_STEP over each burst, so
   * the one-minute alert can count it: a `logins` fine stretch); a normal history has none.
   */
  failedLogins?: Array<{ episode: Episode; perMinute: number }>;
}

export interface History {
  families: Family[];
  fleet: BranchProfile[];
}

interface Incidents {
  lmsDown: Episode[];
  slowDatabase: Episode[];
  gatewayDown: Map<Gateway, Episode[]>;
  readerOutages: (reader: string) => Episode[];
}

/** Step 1: LMS downtime, gateway degradations and reader outages over the range. */
function planIncidents(seed: number, timeline: Timeline, injected: InjectedIncidents = {}): Incidents {
  const from = timeline.startSeconds * 1000;
  const to = timeline.endSeconds * 1000 + DAY_MS;
  return {
    lmsDown: [...episodesBetween(from, to, (day) => lmsDowntime(seed, day)), ...(injected.lmsDown ?? [])],
    slowDatabase: injected.slowDatabase ?? [],
    gatewayDown: new Map(
      GATEWAYS.map((g) => [
        g,
        [
          ...episodesBetween(from, to, (day) => gatewayDegradations(seed, g, day)),
          ...(injected.gatewayDown ?? []).filter((i) => i.gateway === g).map((i) => i.episode),
        ],
      ]),
    ),
    readerOutages: (reader) => [...episodesBetween(from, to, (day) => readerOutages(seed, reader, day)), ...(injected.rfidDown ?? [])],
  };
}

/** Step 2: the series, labelled as the live scrapes label them. */
function openSeries(
  options: HistoryOptions,
  fleet: BranchProfile[],
  incidents: Incidents,
): { series: SeriesSet; business: Business; platform: Platform } {
  const inst = options.instances;
  const instanceOf: Record<string, string> = {
    payments: inst.payments,
    lms: inst.lms,
    rfid: inst.rfid,
    pool: inst.pool,
    'payments-api': inst.api,
    blackbox: inst.blackbox,
    postgres: postgresInstance(inst),
  };
  const series = new SeriesSet((family) => ({ job: family.job, instance: instanceOf[family.job]! }));
  const start = options.timeline.startSeconds;
  return {
    series,
    business: openBusiness(series, fleet, { seed: options.seed, startSeconds: start, readerOutages: incidents.readerOutages }),
    platform: openPlatform(series, {
      seed: options.seed,
      startSeconds: start,
      apiHost: inst.apiHost,
      databaseServer: databaseServerOf(inst),
      failedLogins: options.injected?.failedLogins,
    }),
  };
}

/** Step 3: the model over the timeline; each series keeps the values its timeline keeps. */
function replayModel(options: HistoryOptions, incidents: Incidents, business: Business, platform: Platform): void {
  const { timeline, perBranchPerDay } = options;
  const times = tickTimes(timeline);
  const totalDays = Math.ceil((timeline.endSeconds - timeline.startSeconds) / 86400);
  let day = -1;
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (i > 0) {
      // The step closes the interval (previous time, t]; the model is read at its middle.
      const dtSeconds = t - times[i - 1]!;
      const mid = t * 1000 - (dtSeconds * 1000) / 2;
      const step = {
        mid,
        dtSeconds,
        hourOfDay: istParts(mid).hourOfDay,
        gatewaysDown: new Set(GATEWAYS.filter((gateway) => within(incidents.gatewayDown.get(gateway)!, mid))),
        lmsDown: within(incidents.lmsDown, mid),
        slowDatabase: within(incidents.slowDatabase, mid),
        perBranchPerDay,
      };
      const succeeded = stepPayments(business, step);
      stepVerifications(business, step);
      stepActivities(business, step);
      stepOutbox(business, step, succeeded);
      stepApi(platform, { mid, dtSeconds, fleetSize: business.fleetSize, perBranchPerDay, slowDatabase: step.slowDatabase });
    }
    sampleGauges(platform, t, {
      queue: business.queue,
      fleetSize: business.fleetSize,
      perBranchPerDay,
      lmsDown: incidents.lmsDown,
      gatewayDown: incidents.gatewayDown,
      slowDatabase: incidents.slowDatabase,
    });
    if (keepsBranch(timeline, t)) {
      settlePostings(business);
      for (const track of business.tracks) track.keep(t);
    } else if (inFineStretch(timeline, t, 'rfid')) for (const track of business.rfidTracks) track.keep(t);
    if (keepsFleet(timeline, t)) for (const track of platform.tracks) track.keep(t);
    else if (inFineStretch(timeline, t, 'logins')) for (const track of platform.fineTracks) track.keep(t);
    const dayNow = Math.floor((t - timeline.startSeconds) / 86400);
    if (dayNow !== day) {
      day = dayNow;
      options.onDay?.(Math.min(day, totalDays), totalDays);
    }
  }
  options.onDay?.(totalDays, totalDays);
}

/** Builds every raw family; deterministic for the same options. */
export function buildHistory(options: HistoryOptions): History {
  const fleet = branchProfiles({ seed: options.seed, branches: options.branches, officersPerBranch: options.officersPerBranch });
  const incidents = planIncidents(options.seed, options.timeline, options.injected);
  const { series, business, platform } = openSeries(options, fleet, incidents);
  replayModel(options, incidents, business, platform);
  return { families: series.families(), fleet };
}

/** Fleet-wide raw series the history has (to fit the timeline within a budget). */
export function fleetSeriesCount(): number {
  const series = new SeriesSet(() => ({}));
  return openPlatform(series, { seed: 0, startSeconds: 0, apiHost: 'x', databaseServer: 'x' }).tracks.length;
}
