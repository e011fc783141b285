// N days of Prometheus history of the exporters' metrics, computed from the simulator's business
// model (simulator/src/model: the same pure functions the live simulator draws from), so the
// history has the live simulation's calendar: the late-morning peak, the early-morning mandate
// batch, quiet Sundays, the month-start EMI surge, LMS downtime episodes, gateway degradations,
// the monthly maintenance window.
//
// Resolution: the model is evaluated every 5 minutes (TICK). Fleet-wide series and the recording
// rules the dashboards read (paywatch:*, channel:*, reason:*) keep every tick of the last 7 days
// and every third (15 min) before; per-branch series keep every k-th tick, k chosen so the whole
// history stays within a sample budget (promtool imports about 75 000 samples per second per
// core). Counters are cumulative, so a coarser step loses nothing for increase()/rate() over
// windows of an hour or more.
import {
  apiLoad,
  apiPaymentsPerHour,
  branchProfiles,
  CHANNELS,
  DAY_MS,
  episodesBetween,
  expectedAttemptsPerHour,
  failureProbabilities,
  GATEWAY_CHANNELS,
  GATEWAY_SHARES,
  gatewayDegradations,
  GATEWAYS,
  inMaintenanceWindow,
  istParts,
  lmsDowntime,
  lmsDrainPerSecond,
  LMS_REJECT_PROBABILITY,
  meanAmountInr,
  readerOutages,
  REQUESTS_PER_PAYMENT,
  Rng,
  verificationShare,
  verificationsPerHour,
  within,
  type BranchProfile,
  type Channel,
  type Episode,
  type FailureReason,
  type Gateway,
} from '@paywatch/simulator/model';
import type { Family, Series } from './openmetrics.ts';

export const TICK_SECONDS = 300;

// Local copies: the model's exports are live bindings, slow to read in the hot loop.
const CHANNEL_LIST: readonly Channel[] = [...CHANNELS];
const GATEWAY_LIST: readonly Gateway[] = [...GATEWAYS];
const GATEWAY_CHANNEL_SET: ReadonlySet<Channel> = new Set(GATEWAY_CHANNELS);
const GATEWAY_SHARE_LIST = GATEWAY_SHARES.map(([gateway, share]) => [gateway, share] as const);

export interface HistoryOptions {
  /** Simulator fleet: the same values the live simulator runs with. */
  seed: number;
  branches: number;
  officersPerBranch: number;
  perBranchPerDay: number;
  /** First and last sample, epoch seconds, multiples of TICK_SECONDS. */
  startSeconds: number;
  endSeconds: number;
  /** Per-branch series keep every k-th tick ... */
  branchEvery: number;
  /** ... and every `branchRecentEvery`-th (default min(k, 6): 30 min) from `branchRecentFrom` (epoch seconds; default the last 2 days). */
  branchRecentEvery?: number;
  branchRecentFrom?: number;
  /** Fleet-wide series keep every tick in the last `recentDays` (default 7), every `fleetEvery`-th before (default 3). */
  fleetEvery?: number;
  recentDays?: number;
  /** host:port instance labels, as Prometheus will scrape the live exporters (continuity). */
  instances: { payments: string; lms: string; rfid: string; pool: string; api: string; blackbox: string; apiHost: string };
  /** Treat this time (epoch seconds) as an end of history too (extending an earlier backfill). */
  closeAt?: number;
  /** Called after each simulated day. */
  onDay?: (done: number, total: number) => void;
}

/** Number of per-branch series the history has (to choose branchEvery within a budget). */
export function branchSeriesCount(fleet: BranchProfile[]): number {
  let count = 0;
  for (const branch of fleet) {
    for (const channel of CHANNELS) {
      count += 3; // payments_total success/failed, payment_amount_total
      count += reasonsOf(channel).length;
    }
    count += 2; // lms_postings_total posted/failed
    if (branch.hasRfid) count += 3;
  }
  return count;
}

function reasonsOf(channel: Channel): FailureReason[] {
  const reasons = new Set<FailureReason>();
  const gateways: Array<Gateway | null> = GATEWAY_CHANNELS.has(channel) ? [...GATEWAYS] : [null];
  for (const gateway of gateways) {
    for (const [reason] of failureProbabilities(channel, gateway, { gatewaysDown: new Set(GATEWAYS), slowDatabase: false })) reasons.add(reason);
    for (const [reason] of failureProbabilities(channel, gateway)) reasons.add(reason);
  }
  return [...reasons].sort();
}

/** A series being built: cumulative value, kept every `every` ticks (every `recent` ticks from tick `recentFrom` on). */
class Track {
  readonly times: number[] = [];
  readonly values: number[] = [];
  value = 0;
  constructor(
    readonly labels: Record<string, string>,
    readonly every: number,
    readonly name?: string,
    readonly recent = every,
    readonly recentFrom = Infinity,
  ) {}
  keep(tick: number, t: number, last: boolean) {
    if (tick % (tick >= this.recentFrom ? this.recent : this.every) === 0 || last) {
      this.times.push(t);
      this.values.push(this.value);
    }
  }
  series(): Series {
    return { name: this.name, labels: this.labels, times: this.times, values: this.values };
  }
}

const oddsCache = new Map<string, Array<[FailureReason, number]>>();
/** failureProbabilities() of the model, computed once per (channel, gateway, gateway down). */
function outcomeOdds(channel: Channel, gateway: Gateway | null, gatewayDown: boolean): Array<[FailureReason, number]> {
  const key = `${channel}/${gateway}/${gatewayDown}`;
  let odds = oddsCache.get(key);
  if (!odds) {
    odds = failureProbabilities(channel, gateway, { gatewaysDown: new Set(gatewayDown && gateway ? [gateway] : []), slowDatabase: false });
    oddsCache.set(key, odds);
  }
  return odds;
}

/** Log-normal CDF: share of a latency distribution (median, sigma) at or below x. */
function lognormalCdf(x: number, median: number, sigma: number): number {
  if (x <= 0) return 0;
  const z = Math.log(x / median) / (sigma * Math.SQRT2);
  // erf by Abramowitz-Stegun 7.1.26
  const t = 1 / (1 + 0.3275911 * Math.abs(z));
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * (1 + (z >= 0 ? erf : -erf));
}

const API_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];
const API_BASE_SECONDS: Record<string, number> = { '/api/payments': 0.045, '/api/login': 0.03, '/api/loans/:ref': 0.02 };
const API_METHOD: Record<string, string> = { '/api/payments': 'POST', '/api/login': 'POST', '/api/loans/:ref': 'GET' };

export interface History {
  families: Family[];
  /** Days simulated and the fleet used. */
  fleet: BranchProfile[];
}

/** Builds every family; deterministic for the same options. */
export function buildHistory(options: HistoryOptions): History {
  const { seed, perBranchPerDay } = options;
  const fleet = branchProfiles({ seed, branches: options.branches, officersPerBranch: options.officersPerBranch });
  const fleetSize = fleet.reduce((sum, b) => sum + b.size, 0);
  const ticks = Math.floor((options.endSeconds - options.startSeconds) / TICK_SECONDS) + 1;
  const every = options.branchEvery;
  const fleetEvery = options.fleetEvery ?? 3;
  const branchRecentEvery = options.branchRecentEvery ?? Math.min(every, 6);
  const branchRecentFromTick = Math.ceil(((options.branchRecentFrom ?? options.endSeconds - 2 * 86400) - options.startSeconds) / TICK_SECONDS);
  const keepBranch = (tick: number, last: boolean) => last || tick % (tick >= branchRecentFromTick ? branchRecentEvery : every) === 0;
  const recentFrom = Math.max(0, ticks - 1 - Math.round(((options.recentDays ?? 7) * 86400) / TICK_SECONDS));
  const inst = options.instances;
  const startMs = options.startSeconds * 1000;
  const endMs = options.endSeconds * 1000;

  // Incidents over the whole range, from the seed (the live simulator has the same ones).
  const lmsDown = episodesBetween(startMs, endMs + DAY_MS, (day) => lmsDowntime(seed, day));
  const gatewayDown = new Map<Gateway, Episode[]>(GATEWAYS.map((g) => [g, episodesBetween(startMs, endMs + DAY_MS, (day) => gatewayDegradations(seed, g, day))]));

  // Raw per-branch counters.
  const paymentTracks = new Map<string, { success: Track; failed: Track; amount: Track; reasons: Map<FailureReason, Track>; rng: Rng }>();
  const lmsTracks = new Map<string, { posted: Track; failed: Track; rng: Rng }>();
  const rfidTracks = new Map<string, { success: Track; denied: Track; error: Track; readers: Array<{ id: string; outages: Episode[] }>; rng: Rng }>();
  const rngs = new Map<string, Rng>();
  const rngOf = (key: string) => {
    let rng = rngs.get(key);
    if (!rng) rngs.set(key, (rng = Rng.of(seed, 'backfill', key, options.startSeconds)));
    return rng;
  };
  for (const branch of fleet) {
    for (const channel of CHANNELS) {
      const base = { instance: inst.payments, job: 'payments', branch: branch.code, channel };
      paymentTracks.set(`${branch.code}/${channel}`, {
        success: new Track({ ...base, status: 'success' }, every),
        failed: new Track({ ...base, status: 'failed' }, every),
        amount: new Track(base, every),
        reasons: new Map(reasonsOf(channel).map((reason) => [reason, new Track({ ...base, reason }, every)])),
        rng: rngOf(`${branch.code}/${channel}`),
      });
    }
    const lmsBase = { instance: inst.lms, job: 'lms', branch: branch.code };
    lmsTracks.set(branch.code, { posted: new Track({ ...lmsBase, outcome: 'posted' }, every), failed: new Track({ ...lmsBase, outcome: 'failed' }, every), rng: rngOf(`${branch.code}/lms`) });
    if (branch.hasRfid) {
      const rfidBase = { instance: inst.rfid, job: 'rfid', branch: branch.code };
      rfidTracks.set(branch.code, {
        success: new Track({ ...rfidBase, result: 'success' }, every),
        denied: new Track({ ...rfidBase, result: 'denied' }, every),
        error: new Track({ ...rfidBase, result: 'error' }, every),
        readers: branch.readers.map((id) => ({ id, outages: episodesBetween(startMs, endMs + DAY_MS, (day) => readerOutages(seed, id, day)) })),
        rng: rngOf(`${branch.code}/rfid`),
      });
    }
  }

  const paymentByIndex = fleet.map((branch) => CHANNELS.map((channel) => paymentTracks.get(`${branch.code}/${channel}`)!));
  const branchTracks: Track[] = [
    ...[...paymentTracks.values()].flatMap((t) => [t.success, t.failed, t.amount, ...t.reasons.values()]),
    ...[...lmsTracks.values()].flatMap((t) => [t.posted, t.failed]),
    ...[...rfidTracks.values()].flatMap((t) => [t.success, t.denied, t.error]),
  ];

  // Fleet-wide raw series (every tick).
  const gauge = (labels: Record<string, string>, name?: string) => new Track(labels, fleetEvery, name, 1, recentFrom);
  const queueDepth = gauge({ instance: inst.lms, job: 'lms' });
  const lmsUp = gauge({ instance: inst.lms, job: 'lms' });
  const dbMax = gauge({ instance: inst.pool, job: 'pool' });
  const dbConnections = new Map(['active', 'idle', 'idle_in_transaction', 'other'].map((state) => [state, gauge({ instance: inst.pool, job: 'pool', state })]));
  const probes = [
    { service: 'payments-api', gateway: undefined as Gateway | undefined, target: `http://${inst.apiHost}/health` },
    { service: 'lms', gateway: undefined as Gateway | undefined, target: `http://${inst.apiHost}/lms/health` },
    ...GATEWAYS.map((gateway) => ({ service: 'gateway', gateway: gateway as Gateway | undefined, target: `http://${inst.apiHost}/gateways/${gateway}/health` })),
  ].map((probe) => ({ ...probe, track: gauge({ instance: inst.blackbox, job: 'blackbox', target: probe.target, service: probe.service, ...(probe.gateway ? { gateway: probe.gateway } : {}) }) }));
  const api = [...Object.keys(REQUESTS_PER_PAYMENT)].flatMap((route) =>
    ['200', '500'].map((status) => {
      const labels = { instance: inst.api, job: 'payments-api', service: 'payments-api', route, method: API_METHOD[route]!, status };
      return {
        route,
        status,
        buckets: [...API_BUCKETS.map(String), '+Inf'].map((le) => gauge({ ...labels, le }, 'http_request_duration_seconds_bucket')),
        sum: gauge(labels, 'http_request_duration_seconds_sum'),
        count: gauge(labels, 'http_request_duration_seconds_count'),
      };
    }),
  );

  // Recording rules the dashboards read over long ranges, as Prometheus would have recorded them.
  const rule = (labels: Record<string, string> = {}) => gauge(labels);
  const rules = {
    paymentsRate: new Map(['success', 'failed'].map((status) => [status, rule({ status })])),
    successRatio: rule(),
    amountRate: rule(),
    failures1h: rule(),
    amount1d: rule(),
    channelRate: new Map(CHANNELS.flatMap((channel) => ['success', 'failed'].map((status) => [`${channel}/${status}`, rule({ channel, status })]))),
    channelRatio: new Map(CHANNELS.map((channel) => [channel, rule({ channel })])),
    channelAmount: new Map(CHANNELS.map((channel) => [channel, rule({ channel })])),
    reasonFailures1h: new Map<FailureReason, Track>(),
    availability: rule(),
    apiP95: rule(),
    apiErrorRatio: rule(),
    queueMax: rule(),
    rfidRatio: rule(),
    dbRatio: rule(),
  };
  for (const channel of CHANNELS) for (const reason of reasonsOf(channel)) if (!rules.reasonFailures1h.has(reason)) rules.reasonFailures1h.set(reason, rule({ reason }));
  const hourWindow = 3600 / TICK_SECONDS;
  const dayWindow = 86400 / TICK_SECONDS;
  const failuresByTick: number[] = [];
  const reasonByTick = new Map<FailureReason, number[]>([...rules.reasonFailures1h.keys()].map((reason) => [reason, []]));
  const amountByTick: number[] = [];
  let queue = 0;
  let postedCumulative = 0;
  const drainPerTick = lmsDrainPerSecond(fleet.length) * TICK_SECONDS;
  // Cash collected before 17:00 is confirmed (succeeds) 17:30-20:00; later, the next morning.
  const cashPending = new Map<string, number[]>(); // branch -> [evening share waiting, morning share waiting]
  const tickMs = TICK_SECONDS * 1000;
  const dt = TICK_SECONDS / 3600;
  let day = -1;
  const totalDays = Math.ceil((endMs - startMs) / DAY_MS);

  for (let tick = 0; tick < ticks; tick++) {
    const t = options.startSeconds + tick * TICK_SECONDS;
    // `last` also at closeAt: a replay that extends an earlier history keeps the same samples
    // (and so the same random draws) up to where that history ended.
    const last = tick === ticks - 1 || t === options.closeAt;
    // The interval this sample closes is (t - tick, t]; tick 0 is the starting point.
    const mid = t * 1000 - tickMs / 2;
    const parts = istParts(mid);
    // Per tick, not per branch: the channel's rate for an average branch and its outcome odds.
    const rfidPerSize = verificationsPerHour(mid, 1) * dt;
    const down = new Set(GATEWAY_LIST.filter((gateway) => within(gatewayDown.get(gateway)!, mid)));
    const perChannel = CHANNEL_LIST.map((channel) => ({
      channel,
      ratePerSize: expectedAttemptsPerHour(channel, mid, 1, perBranchPerDay) * dt,
      paths: (GATEWAY_CHANNEL_SET.has(channel) ? GATEWAY_SHARE_LIST : [[null, 1] as const]).map(([gateway, share]) => {
        const probabilities = outcomeOdds(channel, gateway, !!gateway && down.has(gateway));
        return { share, probabilities, successShare: 1 - probabilities.reduce((sum, [, p]) => sum + p, 0) };
      }),
    }));
    let fleetSuccess = 0;
    let fleetFailed = 0;
    let fleetAmount = 0;
    let rfidOk = 0;
    let rfidAll = 0;
    const channelTotals = new Map<Channel, { success: number; failed: number; amount: number }>(CHANNELS.map((c) => [c, { success: 0, failed: 0, amount: 0 }]));
    const reasonTotals = new Map<FailureReason, number>();

    if (tick > 0) {
      for (let b = 0; b < fleet.length; b++) {
        const branch = fleet[b]!;
        for (let c = 0; c < CHANNEL_LIST.length; c++) {
          const { channel, ratePerSize, paths } = perChannel[c]!;
          const tracks = paymentByIndex[b]![c]!;
          const rng = tracks.rng;
          const attempts = ratePerSize * branch.size;
          let success = 0;
          let failed = 0;
          if (attempts === 0 && channel !== 'cash') continue; // outside the channel's hours
          for (const path of paths) {
            const expected = attempts * path.share;
            // Failures: one draw for the count, then the reason by weight (failures are rare, so
            // this is one draw most of the time instead of one per reason).
            let n = rng.poisson(expected * (1 - path.successShare));
            while (n > 0) {
              n--;
              let x = rng.next() * (1 - path.successShare);
              let reason = path.probabilities[path.probabilities.length - 1]![0];
              for (const [r, p] of path.probabilities) {
                if (x < p) {
                  reason = r;
                  break;
                }
                x -= p;
              }
              tracks.reasons.get(reason)!.value += 1;
              reasonTotals.set(reason, (reasonTotals.get(reason) ?? 0) + 1);
              failed += 1;
            }
            if (channel === 'cash') {
              // OTP-verified cash waits for the branch's confirmation.
              const pending = cashPending.get(branch.code) ?? [0, 0];
              pending[parts.hourOfDay < 17 ? 0 : 1]! += expected * path.successShare;
              cashPending.set(branch.code, pending);
            } else {
              success += rng.poisson(expected * path.successShare);
            }
          }
          if (channel === 'cash') {
            const pending = cashPending.get(branch.code)!;
            // Evening confirmations 17:30-20:00 IST take the day's waiting cash evenly.
            const h = parts.hourOfDay;
            if (h >= 17.5 && h < 20) {
              const ticksLeft = Math.max(1, Math.round(((20 - h) * 3600) / TICK_SECONDS));
              const take = pending[0]! / ticksLeft;
              pending[0]! -= take;
              success += rng.poisson(take);
            }
            if (h >= 9.5 && h < 11) {
              const ticksLeft = Math.max(1, Math.round(((11 - h) * 3600) / TICK_SECONDS));
              const take = pending[1]! / ticksLeft;
              pending[1]! -= take;
              success += rng.poisson(take);
            }
            if (h >= 20 && pending[0]! > 0) {
              pending[1]! += pending[0]!;
              pending[0] = 0;
            }
          }
          const amount = success ? Math.round(success * meanAmountInr(channel) * rng.between(0.85, 1.15)) : 0;
          tracks.success.value += success;
          tracks.failed.value += failed;
          tracks.amount.value += amount;
          const totals = channelTotals.get(channel)!;
          totals.success += success;
          totals.failed += failed;
          totals.amount += amount;
          fleetSuccess += success;
          fleetFailed += failed;
          fleetAmount += amount;
        }
        const rfid = rfidTracks.get(branch.code);
        if (rfid) {
          const rng = rfid.rng;
          const readersDown = rfid.readers.filter((reader) => within(reader.outages, mid)).length;
          const share = branch.readers.length ? readersDown / branch.readers.length : 0;
          const expected = rfidPerSize * branch.size;
          const ok = rng.poisson(expected * (1 - share) * verificationShare('success'));
          const denied = rng.poisson(expected * (1 - share) * verificationShare('denied'));
          const error = rng.poisson(expected * (1 - share) * verificationShare('error') + expected * share);
          rfid.success.value += ok;
          rfid.denied.value += denied;
          rfid.error.value += error;
          rfidOk += ok;
          rfidAll += ok + denied + error;
        }
      }
      // LMS outbox: inflow = successful payments; drained at capacity unless the LMS is down.
      const lmsIsDown = within(lmsDown, mid);
      queue += fleetSuccess;
      const drained = lmsIsDown ? 0 : Math.min(queue, drainPerTick);
      queue -= drained;
      postedCumulative += drained;
    }
    // Postings are spread over branches by their share of the fleet, when their samples are kept
    // (they only matter there): a branch's terminal postings so far, some rejected by the LMS.
    if (keepBranch(tick, last)) {
      for (const branch of fleet) {
        const lms = lmsTracks.get(branch.code)!;
        const total = Math.floor((postedCumulative * branch.size) / fleetSize);
        const delta = total - lms.posted.value - lms.failed.value;
        if (delta <= 0) continue;
        const failed = Math.min(delta, lms.rng.poisson(delta * LMS_REJECT_PROBABILITY));
        lms.posted.value += delta - failed;
        lms.failed.value += failed;
      }
    }

    // Gauges and probes at t.
    const lmsIsDownNow = within(lmsDown, t * 1000);
    queueDepth.value = Math.round(queue);
    lmsUp.value = lmsIsDownNow ? 0 : 1;
    const load = apiLoad(t * 1000, fleetSize, perBranchPerDay);
    dbMax.value = 100;
    dbConnections.get('active')!.value = Math.round(2 + 18 * load);
    dbConnections.get('idle')!.value = Math.round(14 - 8 * load);
    dbConnections.get('idle_in_transaction')!.value = load > 0.8 ? 1 : 0;
    dbConnections.get('other')!.value = 4;
    for (const probe of probes) {
      let up = true;
      if (probe.service === 'payments-api') up = !inMaintenanceWindow(t * 1000);
      else if (probe.service === 'lms') up = !lmsIsDownNow;
      else if (probe.gateway) up = !within(gatewayDown.get(probe.gateway as Gateway)!, t * 1000);
      probe.track.value = up ? 1 : 0;
    }

    // Payments API traffic over the tick: latency grows with load; a few server errors.
    let apiAll = 0;
    let apiErrors = 0;
    const tickBuckets = new Array<number>(API_BUCKETS.length + 1).fill(0);
    if (tick > 0) {
      const loadMid = apiLoad(mid, fleetSize, perBranchPerDay);
      const paymentsPerHour = apiPaymentsPerHour(mid, fleetSize, perBranchPerDay);
      const down = inMaintenanceWindow(mid);
      for (const entry of api) {
        const rng = rngOf(`api/${entry.route}/${entry.status}`);
        const perTick = paymentsPerHour * (REQUESTS_PER_PAYMENT as Record<string, number>)[entry.route]! * dt;
        const errorShare = down ? 1 : 0.0015;
        const n = rng.poisson(perTick * (entry.status === '500' ? errorShare : 1 - errorShare));
        if (!n) continue;
        const median = API_BASE_SECONDS[entry.route]! * (1 + 3 * loadMid * loadMid) * 1.6; // DB time plus the rest of the request
        const sigma = 0.45;
        entry.buckets.forEach((bucket, i) => {
          const le = API_BUCKETS[i];
          const cumulative = Math.round(n * (le === undefined ? 1 : lognormalCdf(le, median, sigma)));
          bucket.value += cumulative;
          tickBuckets[i]! += cumulative;
        });
        entry.count.value += n;
        entry.sum.value += n * median * Math.exp((sigma * sigma) / 2);
        apiAll += n;
        if (entry.status === '500') apiErrors += n;
      }
    }

    // Recording rules at t.
    if (tick > 0) {
      rules.paymentsRate.get('success')!.value = fleetSuccess / TICK_SECONDS;
      rules.paymentsRate.get('failed')!.value = fleetFailed / TICK_SECONDS;
      rules.successRatio.value = fleetSuccess + fleetFailed > 0 ? fleetSuccess / (fleetSuccess + fleetFailed) : NaN;
      rules.amountRate.value = fleetAmount / TICK_SECONDS;
      for (const [channel, totals] of channelTotals) {
        rules.channelRate.get(`${channel}/success`)!.value = totals.success / TICK_SECONDS;
        rules.channelRate.get(`${channel}/failed`)!.value = totals.failed / TICK_SECONDS;
        rules.channelRatio.get(channel)!.value = totals.success + totals.failed > 0 ? totals.success / (totals.success + totals.failed) : NaN;
        rules.channelAmount.get(channel)!.value = totals.amount / TICK_SECONDS;
      }
      failuresByTick.push(fleetFailed);
      amountByTick.push(fleetAmount);
      for (const [reason, list] of reasonByTick) list.push(reasonTotals.get(reason) ?? 0);
      const sumLast = (list: number[], n: number) => list.slice(-n).reduce((a, b) => a + b, 0);
      rules.failures1h.value = sumLast(failuresByTick, hourWindow);
      rules.amount1d.value = sumLast(amountByTick, dayWindow);
      for (const [reason, list] of reasonByTick) rules.reasonFailures1h.get(reason)!.value = sumLast(list, hourWindow);
      rules.apiErrorRatio.value = apiAll > 0 ? apiErrors / apiAll : NaN;
      rules.apiP95.value = histogramQuantile(0.95, API_BUCKETS, tickBuckets);
      rules.rfidRatio.value = rfidAll > 0 ? rfidOk / rfidAll : NaN;
    }
    rules.availability.value = probes.reduce((sum, probe) => sum + probe.track.value, 0) / probes.length;
    rules.queueMax.value = queueDepth.value;
    rules.dbRatio.value = [...dbConnections.values()].reduce((sum, g) => sum + g.value, 0) / dbMax.value;

    // Keep the samples of this tick (per-branch tracks all share one step).
    if (keepBranch(tick, last)) for (const track of branchTracks) track.keep(tick, t, true);
    for (const track of [queueDepth, lmsUp, dbMax, ...dbConnections.values(), ...probes.map((p) => p.track)]) track.keep(tick, t, last);
    for (const entry of api) for (const track of [...entry.buckets, entry.sum, entry.count]) track.keep(tick, t, last);
    if (tick > 0) {
      for (const track of allRuleTracks(rules)) if (!Number.isNaN(track.value)) track.keep(tick, t, last);
    }
    const dayNow = Math.floor((t - options.startSeconds) / 86400);
    if (dayNow !== day) {
      day = dayNow;
      options.onDay?.(Math.min(day, totalDays), totalDays);
    }
  }
  options.onDay?.(totalDays, totalDays);

  const family = (name: string, type: Family['type'], help: string, tracks: Iterable<Track>): Family => ({ name, type, help, series: [...tracks].filter((t) => t.times.length > 0).map((t) => t.series()) });
  const families: Family[] = [
    family('payments_total', 'counter', 'Payments that reached a terminal status (backfilled history).', [...paymentTracks.values()].flatMap((t) => [t.success, t.failed])),
    family('payment_amount_total', 'counter', 'INR of successful payments (backfilled history).', [...paymentTracks.values()].map((t) => t.amount)),
    family('payment_failures_total', 'counter', 'Failed payments by reason (backfilled history).', [...paymentTracks.values()].flatMap((t) => [...t.reasons.values()])),
    family('lms_postings_total', 'counter', 'LMS postings that reached a terminal state (backfilled history).', [...lmsTracks.values()].flatMap((t) => [t.posted, t.failed])),
    family('rfid_verifications_total', 'counter', 'RFID verifications (backfilled history).', [...rfidTracks.values()].flatMap((t) => [t.success, t.denied, t.error])),
    family('lms_posting_queue_depth', 'gauge', 'Postings waiting in the outbox (backfilled history).', [queueDepth]),
    family('lms_up', 'gauge', 'LMS health (backfilled history).', [lmsUp]),
    family('db_max_connections', 'gauge', 'max_connections (backfilled history).', [dbMax]),
    family('db_connections', 'gauge', 'Server connections by state (backfilled history).', dbConnections.values()),
    family('probe_success', 'gauge', 'Health probe result (backfilled history).', probes.map((p) => p.track)),
    family('http_request_duration_seconds', 'histogram', 'Payments API request latency (backfilled history).', api.flatMap((e) => [...e.buckets, e.sum, e.count])),
    family('paywatch:payments:rate5m', 'gauge', 'Recording rule (backfilled).', rules.paymentsRate.values()),
    family('paywatch:payment_success_ratio:rate5m', 'gauge', 'Recording rule (backfilled).', [rules.successRatio]),
    family('paywatch:payment_amount_inr:rate5m', 'gauge', 'Recording rule (backfilled).', [rules.amountRate]),
    family('paywatch:payment_failures:increase1h', 'gauge', 'Recording rule (backfilled).', [rules.failures1h]),
    family('paywatch:payment_amount_inr:increase1d', 'gauge', 'Recording rule (backfilled).', [rules.amount1d]),
    family('channel:payments:rate5m', 'gauge', 'Recording rule (backfilled).', rules.channelRate.values()),
    family('channel:payment_success_ratio:rate5m', 'gauge', 'Recording rule (backfilled).', rules.channelRatio.values()),
    family('channel:payment_amount_inr:rate5m', 'gauge', 'Recording rule (backfilled).', rules.channelAmount.values()),
    family('reason:payment_failures:increase1h', 'gauge', 'Recording rule (backfilled).', rules.reasonFailures1h.values()),
    family('paywatch:availability:ratio_avg5m', 'gauge', 'Recording rule (backfilled).', [rules.availability]),
    family('paywatch:api_request_duration_seconds:p95_5m', 'gauge', 'Recording rule (backfilled).', [rules.apiP95]),
    family('paywatch:api_error_ratio:rate5m', 'gauge', 'Recording rule (backfilled).', [rules.apiErrorRatio]),
    family('paywatch:lms_posting_queue_depth:max5m', 'gauge', 'Recording rule (backfilled).', [rules.queueMax]),
    family('paywatch:rfid_success_ratio:rate5m', 'gauge', 'Recording rule (backfilled).', [rules.rfidRatio]),
    family('paywatch:db_connections_used:ratio', 'gauge', 'Recording rule (backfilled).', [rules.dbRatio]),
  ];
  return { families, fleet };
}

function allRuleTracks(rules: Record<string, Track | Map<unknown, Track>>): Track[] {
  return Object.values(rules).flatMap((value) => (value instanceof Map ? [...value.values()] : [value]));
}

/** histogram_quantile() as Prometheus computes it from cumulative bucket counts (+Inf last). */
export function histogramQuantile(q: number, bounds: number[], cumulative: number[]): number {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let i = cumulative.findIndex((count) => count >= rank);
  if (i === bounds.length) return bounds[bounds.length - 1]!; // in the +Inf bucket: the highest bound
  if (i < 0) i = bounds.length - 1;
  const upper = bounds[i]!;
  const lower = i === 0 ? 0 : bounds[i - 1]!;
  const below = i === 0 ? 0 : cumulative[i - 1]!;
  const inBucket = cumulative[i]! - below;
  return inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
}
