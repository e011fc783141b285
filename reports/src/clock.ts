// The scheduler's idea of now. The real clock in production; a time-scaled one in tests, so a
// day's schedule can be watched in seconds without faking timers.
export interface Clock {
  /** Epoch seconds. */
  now(): number;
}

export const realClock: Clock = { now: () => Date.now() / 1000 };

/** Starts at `start` (epoch seconds) and runs `scale` times faster than real time. */
export function scaledClock(start: number, scale: number): Clock {
  const t0 = Date.now();
  return { now: () => start + ((Date.now() - t0) / 1000) * scale };
}
