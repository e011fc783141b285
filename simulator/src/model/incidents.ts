// Things that go wrong by themselves, drawn per IST day from the seed: LMS downtime episodes,
// RFID reader outages, short gateway degradations. Demo scenarios (scenarios.ts in the simulator)
// come on top of these.
import { DAY_MS, HOUR_MS, istDayStart, istTime } from './calendar.ts';
import type { Gateway } from './channel.ts';
import { Rng } from './random.ts';

export interface Episode {
  start: number;
  end: number;
}

/** LMS downtime on the day containing `dayMs`: about one day in four, 10-40 minutes in the day. */
export function lmsDowntime(seed: number, dayMs: number): Episode[] {
  const day = istDayStart(dayMs);
  const rng = Rng.of(seed, 'lms-downtime', day);
  if (!rng.chance(0.25)) return [];
  const start = istTime(day, 10) + rng.next() * 9 * HOUR_MS;
  return [{ start, end: start + (10 + rng.next() * 30) * 60_000 }];
}

/** Outages of one RFID reader on the day: about one reader-day in twenty-five, 20-120 minutes. */
export function readerOutages(seed: number, reader: string, dayMs: number): Episode[] {
  const day = istDayStart(dayMs);
  const rng = Rng.of(seed, 'reader-outage', reader, day);
  if (!rng.chance(0.04)) return [];
  const start = istTime(day, 9, 30) + rng.next() * 7 * HOUR_MS;
  return [{ start, end: start + (20 + rng.next() * 100) * 60_000 }];
}

/** Short degradations of a gateway (its calls time out): about one day in eight, 5-20 minutes. */
export function gatewayDegradations(seed: number, gateway: Gateway, dayMs: number): Episode[] {
  const day = istDayStart(dayMs);
  const rng = Rng.of(seed, 'gateway-degradation', gateway, day);
  if (!rng.chance(0.125)) return [];
  const start = istTime(day, 8) + rng.next() * 14 * HOUR_MS;
  return [{ start, end: start + (5 + rng.next() * 15) * 60_000 }];
}

export function within(episodes: Episode[], ms: number): boolean {
  return episodes.some((episode) => ms >= episode.start && ms < episode.end);
}

/** Episodes overlapping [from, to), over every IST day the range touches. */
export function episodesBetween(from: number, to: number, perDay: (dayMs: number) => Episode[]): Episode[] {
  const out: Episode[] = [];
  for (let day = istDayStart(from) - DAY_MS; day < to; day += DAY_MS) {
    for (const episode of perDay(day)) if (episode.end > from && episode.start < to) out.push(episode);
  }
  return out;
}
