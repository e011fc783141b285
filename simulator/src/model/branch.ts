// The lender's network: branches (size, region, RFID), their field officers and readers, and each
// branch's daily collection target.
import { CHANNELS, dayFactor, meanAmountInr, successProbability, CHANNEL_SHARES } from './channel.ts';
import { istDayNumber } from './calendar.ts';
import { Rng } from './random.ts';

export const REGIONS = ['North', 'South', 'East', 'West', 'Central'] as const;
const TOWNS = ['Nagar', 'Pur', 'Ganj', 'Bad', 'Pet', 'Kot', 'Wadi', 'Halli'];
const PREFIXES = ['Ram', 'Shiv', 'Lakshmi', 'Hari', 'Krishna', 'Durga', 'Ganesh', 'Surya', 'Chandra', 'Indra', 'Gopal', 'Anand'];

export interface BranchProfile {
  /** BR0001 … */
  code: string;
  name: string;
  region: string;
  hasRfid: boolean;
  /** Relative size: 1 is an average branch; scales volumes and the target. */
  size: number;
  /** Field officer ids, BR0001-FO01 … */
  officers: string[];
  /** RFID reader ids (empty unless hasRfid), BR0001-R1 … */
  readers: string[];
}

export interface FleetOptions {
  seed: number;
  branches: number;
  officersPerBranch: number;
}

export function branchCode(index: number): string {
  return `BR${String(index + 1).padStart(4, '0')}`;
}

/** The fleet, identical for the same seed and sizes (branch i does not depend on the count). */
export function branchProfiles({ seed, branches, officersPerBranch }: FleetOptions): BranchProfile[] {
  const profiles: BranchProfile[] = [];
  for (let i = 0; i < branches; i++) {
    const rng = Rng.of(seed, 'branch', i);
    const code = branchCode(i);
    const hasRfid = rng.chance(0.3);
    const readerCount = hasRfid ? 1 + rng.int(3) : 0;
    profiles.push({
      code,
      name: `${PREFIXES[rng.int(PREFIXES.length)]}${TOWNS[rng.int(TOWNS.length)]!.toLowerCase()} branch`,
      region: REGIONS[rng.int(REGIONS.length)]!,
      hasRfid,
      size: Math.min(2.5, Math.max(0.4, rng.lognormal(1, 0.35))),
      officers: Array.from({ length: officersPerBranch }, (_, k) => `${code}-FO${String(k + 1).padStart(2, '0')}`),
      readers: Array.from({ length: readerCount }, (_, k) => `${code}-R${k + 1}`),
    });
  }
  return profiles;
}

/** Expected INR a branch collects on the IST day containing `dayMs` (successful payments). */
export function expectedDailyCollectionInr(branch: BranchProfile, dayMs: number, perBranchPerDay: number): number {
  let total = 0;
  for (const channel of CHANNELS) {
    total +=
      perBranchPerDay *
      branch.size *
      CHANNEL_SHARES[channel] *
      dayFactor(channel, dayMs) *
      meanAmountInr(channel) *
      successProbability(channel);
  }
  return total;
}

/** The branch's collection target for the day: a little above what it can expect, rounded. */
export function dailyTargetInr(seed: number, branch: BranchProfile, dayMs: number, perBranchPerDay: number): number {
  const stretch = Rng.of(seed, 'target', branch.code, istDayNumber(dayMs)).between(1.0, 1.12);
  return Math.round((expectedDailyCollectionInr(branch, dayMs, perBranchPerDay) * stretch) / 1000) * 1000;
}

/** A loan reference the branch serves; stable per (branch, number). */
export function loanRef(branch: string, number: number): string {
  return `LN-${branch}-${String(number).padStart(6, '0')}`;
}

/** Loans per branch, for picking which loan a payment repays. */
export function loansPerBranch(perBranchPerDay: number, size: number): number {
  return Math.max(100, Math.round(perBranchPerDay * size * 20));
}
