// One step of the business over (t - dt, t], from the simulator's model: payments per branch and
// channel with their outcomes and failure reasons, OTP cash confirmed later the same evening (or
// the next morning), RFID verifications, the LMS outbox filling with successful payments and
// draining at the LMS's capacity, the branches' terminal postings, and the declared activities'
// counters (simulator/src/model/activities.ts: mandate registrations) from their declarations alone.
import {
  ACTIVITIES,
  CHANNELS,
  eventLabels,
  eventsPerHour,
  eventSuccessProbability,
  expectedAttemptsPerHour,
  failureProbabilities,
  GATEWAY_CHANNELS,
  GATEWAY_SHARES,
  GATEWAYS,
  LMS_REJECT_PROBABILITY,
  lmsDrainPerSecond,
  meanAmountInr,
  Rng,
  splitValues,
  verificationShare,
  verificationsPerHour,
  within,
  type Activity,
  type BranchProfile,
  type Channel,
  type Episode,
  type FailureReason,
  type Gateway,
} from '@paywatch/simulator/model';
import type { SeriesSet, Track } from './series.ts';

// Local copies: the model's exports are live bindings, slow to read in the hot loop.
const CHANNEL_LIST: readonly Channel[] = [...CHANNELS];
const GATEWAY_CHANNEL_SET: ReadonlySet<Channel> = new Set(GATEWAY_CHANNELS);
const GATEWAY_SHARE_LIST = GATEWAY_SHARES.map(([gateway, share]) => [gateway, share] as const);

/** Failure reasons a channel can have (any gateway, up or down): the series a branch can show. */
export function reasonsOf(channel: Channel): FailureReason[] {
  const reasons = new Set<FailureReason>();
  const gateways: Array<Gateway | null> = GATEWAY_CHANNELS.has(channel) ? [...GATEWAYS] : [null];
  for (const gateway of gateways) {
    for (const [reason] of failureProbabilities(channel, gateway, { gatewaysDown: new Set(GATEWAYS), slowDatabase: false }))
      reasons.add(reason);
    for (const [reason] of failureProbabilities(channel, gateway)) reasons.add(reason);
  }
  return [...reasons].sort();
}

/** Number of per-branch series the history has (to fit the timeline within a budget). */
export function branchSeriesCount(fleet: BranchProfile[]): number {
  const perChannel = CHANNEL_LIST.reduce((sum, channel) => sum + 3 + reasonsOf(channel).length, 0); // success, failed, amount, reasons
  const activities = ACTIVITIES.reduce((sum, activity) => sum + splitValues(activity).length * 2, 0); // success, failed per split value
  return fleet.reduce((sum, branch) => sum + perChannel + 2 + activities + (branch.hasRfid ? 3 : 0), 0); // + postings posted/failed, activities, rfid results
}

const oddsCache = new Map<string, Array<[FailureReason, number]>>();
/** failureProbabilities() of the model, computed once per (channel, gateway, gateway down). */
function outcomeOdds(
  channel: Channel,
  gateway: Gateway | null,
  gatewayDown: boolean,
  slowDatabase: boolean,
): Array<[FailureReason, number]> {
  const key = `${channel}/${gateway}/${gatewayDown}/${slowDatabase}`;
  let odds = oddsCache.get(key);
  if (!odds) {
    odds = failureProbabilities(channel, gateway, { gatewaysDown: new Set(gatewayDown && gateway ? [gateway] : []), slowDatabase });
    oddsCache.set(key, odds);
  }
  return odds;
}

interface ChannelTracks {
  success: Track;
  failed: Track;
  amount: Track;
  reasons: Map<FailureReason, Track>;
  rng: Rng;
}

interface ActivityTracks {
  activity: Activity;
  byValue: Array<{ value: string; success: Track; failed: Track }>;
  rng: Rng;
}

interface BranchTracks {
  branch: BranchProfile;
  channels: ChannelTracks[];
  posted: Track;
  postingFailed: Track;
  postingRng: Rng;
  /** Each declared activity's events answered (ACTIVITIES order): per split value, success and failed. */
  activities: ActivityTracks[];
  rfid?: { success: Track; denied: Track; error: Track; readers: Array<{ id: string; outages: Episode[] }>; rng: Rng };
  /** OTP cash waiting for the branch's confirmation: [confirmed this evening, next morning]. */
  cashPending: [number, number];
}

/** The per-branch series and the state of the business between steps. */
export interface Business {
  branches: BranchTracks[];
  /** Every per-branch track (they share one timeline). */
  tracks: Track[];
  /** The RFID verification counters, also kept at the timeline's `rfid` fine times (timeline.ts). */
  rfidTracks: Track[];
  fleetSize: number;
  /** Payments waiting in the LMS outbox, and postings done so far (fleet-wide). */
  queue: number;
  posted: number;
}

export function openBusiness(
  series: SeriesSet,
  fleet: BranchProfile[],
  options: { seed: number; startSeconds: number; readerOutages: (reader: string) => Episode[] },
): Business {
  const rng = (key: string) => Rng.of(options.seed, 'backfill', key, options.startSeconds);
  const branches = fleet.map((branch): BranchTracks => {
    const channels = CHANNEL_LIST.map((channel) => {
      const own = { branch: branch.code, channel };
      return {
        success: series.track('payments_total', { ...own, status: 'success' }),
        failed: series.track('payments_total', { ...own, status: 'failed' }),
        amount: series.track('payment_amount_total', own),
        reasons: new Map(reasonsOf(channel).map((reason) => [reason, series.track('payment_failures_total', { ...own, reason })])),
        rng: rng(`${branch.code}/${channel}`),
      };
    });
    return {
      branch,
      channels,
      posted: series.track('lms_postings_total', { branch: branch.code, outcome: 'posted' }),
      postingFailed: series.track('lms_postings_total', { branch: branch.code, outcome: 'failed' }),
      postingRng: rng(`${branch.code}/lms`),
      activities: ACTIVITIES.map((activity) => ({
        activity,
        byValue: splitValues(activity).map((value) => ({
          value,
          success: series.track(activity.family.name, eventLabels(activity, branch.code, value, true)),
          failed: series.track(activity.family.name, eventLabels(activity, branch.code, value, false)),
        })),
        rng: rng(`${branch.code}/${activity.stream}`),
      })),
      rfid: branch.hasRfid
        ? {
            success: series.track('rfid_verifications_total', { branch: branch.code, result: 'success' }),
            denied: series.track('rfid_verifications_total', { branch: branch.code, result: 'denied' }),
            error: series.track('rfid_verifications_total', { branch: branch.code, result: 'error' }),
            readers: branch.readers.map((id) => ({ id, outages: options.readerOutages(id) })),
            rng: rng(`${branch.code}/rfid`),
          }
        : undefined,
      cashPending: [0, 0],
    };
  });
  const tracks = branches.flatMap((b) => [
    ...b.channels.flatMap((c) => [c.success, c.failed, c.amount, ...c.reasons.values()]),
    b.posted,
    b.postingFailed,
    ...b.activities.flatMap((a) => a.byValue.flatMap((v) => [v.success, v.failed])),
    ...(b.rfid ? [b.rfid.success, b.rfid.denied, b.rfid.error] : []),
  ]);
  const rfidTracks = branches.flatMap((b) => (b.rfid ? [b.rfid.success, b.rfid.denied, b.rfid.error] : []));
  return { branches, tracks, rfidTracks, fleetSize: fleet.reduce((sum, b) => sum + b.size, 0), queue: 0, posted: 0 };
}

/** The interval a step covers, and what the model says about it at its middle. */
export interface StepContext {
  /** Middle of the interval, epoch ms. */
  mid: number;
  dtSeconds: number;
  /** IST hour of day at mid (fractional). */
  hourOfDay: number;
  gatewaysDown: ReadonlySet<Gateway>;
  lmsDown: boolean;
  /** The payments engine's database is slow (an injected slow_database). */
  slowDatabase?: boolean;
  perBranchPerDay: number;
}

/** Payments of every branch and channel over the step; returns the fleet's successful payments. */
export function stepPayments(business: Business, step: StepContext): number {
  const dtHours = step.dtSeconds / 3600;
  const h = step.hourOfDay;
  // Per step, not per branch: the channel's rate for a branch of size 1 and its outcome odds.
  const perChannel = CHANNEL_LIST.map((channel) => ({
    channel,
    ratePerSize: expectedAttemptsPerHour(channel, step.mid, 1, step.perBranchPerDay) * dtHours,
    paths: (GATEWAY_CHANNEL_SET.has(channel) ? GATEWAY_SHARE_LIST : [[null, 1] as const]).map(([gateway, share]) => {
      const probabilities = outcomeOdds(channel, gateway, !!gateway && step.gatewaysDown.has(gateway), !!step.slowDatabase);
      return { share, probabilities, successShare: 1 - probabilities.reduce((sum, [, p]) => sum + p, 0) };
    }),
  }));
  let fleetSuccess = 0;
  for (const entry of business.branches) {
    for (let c = 0; c < CHANNEL_LIST.length; c++) {
      const { channel, ratePerSize, paths } = perChannel[c]!;
      const tracks = entry.channels[c]!;
      const rng = tracks.rng;
      const attempts = ratePerSize * entry.branch.size;
      if (attempts === 0 && channel !== 'cash') continue; // outside the channel's hours
      let success = 0;
      let failed = 0;
      for (const path of paths) {
        const expected = attempts * path.share;
        // Failures: one draw for the count, then the reason by weight (failures are rare, so this
        // is one draw most of the time instead of one per reason).
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
          failed += 1;
        }
        if (channel === 'cash')
          entry.cashPending[h < 17 ? 0 : 1] += expected * path.successShare; // OTP-verified cash waits for the branch
        else success += rng.poisson(expected * path.successShare);
      }
      if (channel === 'cash') success += confirmCash(entry.cashPending, h, step.dtSeconds, rng);
      const amount = success ? Math.round(success * meanAmountInr(channel) * rng.between(0.85, 1.15)) : 0;
      tracks.success.value += success;
      tracks.failed.value += failed;
      tracks.amount.value += amount;
      fleetSuccess += success;
    }
  }
  return fleetSuccess;
}

/** Branches confirm the day's cash 17:30-20:00 IST, evenly; what is left, 09:30-11:00 the next morning. */
function confirmCash(pending: [number, number], h: number, dtSeconds: number, rng: Rng): number {
  let confirmed = 0;
  if (h >= 17.5 && h < 20) {
    const take = pending[0] / Math.max(1, Math.round(((20 - h) * 3600) / dtSeconds));
    pending[0] -= take;
    confirmed += rng.poisson(take);
  }
  if (h >= 9.5 && h < 11) {
    const take = pending[1] / Math.max(1, Math.round(((11 - h) * 3600) / dtSeconds));
    pending[1] -= take;
    confirmed += rng.poisson(take);
  }
  if (h >= 20 && pending[0] > 0) {
    pending[1] += pending[0];
    pending[0] = 0;
  }
  return confirmed;
}

/** RFID verifications at the branches with readers; a reader that is down answers errors. */
export function stepVerifications(business: Business, step: StepContext): void {
  const perSize = verificationsPerHour(step.mid, 1) * (step.dtSeconds / 3600);
  for (const { branch, rfid } of business.branches) {
    if (!rfid) continue;
    const readersDown = rfid.readers.filter((reader) => within(reader.outages, step.mid)).length;
    const share = branch.readers.length ? readersDown / branch.readers.length : 0;
    const expected = perSize * branch.size;
    rfid.success.value += rfid.rng.poisson(expected * (1 - share) * verificationShare('success'));
    rfid.denied.value += rfid.rng.poisson(expected * (1 - share) * verificationShare('denied'));
    rfid.error.value += rfid.rng.poisson(expected * (1 - share) * verificationShare('error') + expected * share);
  }
}

/**
 * Every declared activity's events over the step, at its declared rate and success odds (counted
 * at the step, as the live exporter counts them when answered: the answer time is not replayed).
 */
export function stepActivities(business: Business, step: StepContext): void {
  const perActivity = ACTIVITIES.map((activity) =>
    splitValues(activity).map((value) => ({
      perSize: eventsPerHour(activity, value, step.mid, 1) * (step.dtSeconds / 3600),
      success: eventSuccessProbability(activity, value),
    })),
  );
  for (const entry of business.branches) {
    entry.activities.forEach(({ byValue, rng }, a) => {
      byValue.forEach((tracks, v) => {
        const { perSize, success } = perActivity[a]![v]!;
        const expected = perSize * entry.branch.size;
        if (expected === 0) return;
        tracks.success.value += rng.poisson(expected * success);
        tracks.failed.value += rng.poisson(expected * (1 - success));
      });
    });
  }
}

/** The LMS outbox: filled by successful payments, drained at the LMS's capacity unless it is down. */
export function stepOutbox(business: Business, step: StepContext, successfulPayments: number): void {
  business.queue += successfulPayments;
  const drained = step.lmsDown ? 0 : Math.min(business.queue, lmsDrainPerSecond(business.branches.length) * step.dtSeconds);
  business.queue -= drained;
  business.posted += drained;
}

/**
 * Each branch's terminal postings so far (its share of the fleet's), some rejected by the LMS;
 * computed only when the samples are kept, which is all they are needed for.
 */
export function settlePostings(business: Business): void {
  for (const entry of business.branches) {
    const total = Math.floor((business.posted * entry.branch.size) / business.fleetSize);
    const delta = total - entry.posted.value - entry.postingFailed.value;
    if (delta <= 0) continue;
    const failed = Math.min(delta, entry.postingRng.poisson(delta * LMS_REJECT_PROBABILITY));
    entry.posted.value += delta - failed;
    entry.postingFailed.value += failed;
  }
}
