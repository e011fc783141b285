/**
 * The business model of a lender's payments and collections: pure, deterministic functions of
 * (seed, time, fleet). The live simulator draws its activity from it, and the history backfill
 * (stack/) uses the same functions to write 30 days of Prometheus history that continue
 * seamlessly into the live simulation. Nothing here touches a database, a clock or Math.random.
 *
 * Time is epoch milliseconds; business time is IST (calendar.ts).
 *
 * Fleet (branch.ts)
 *   branchProfiles({seed, branches, officersPerBranch}) -> BranchProfile[]   code, name, region,
 *       hasRfid, size (1 = average), officers[], readers[]; branch i is the same whatever the count
 *   dailyTargetInr(seed, branch, dayMs, perBranchPerDay) -> INR target of that IST day
 *   expectedDailyCollectionInr(branch, dayMs, perBranchPerDay) -> expected INR collected
 *   loanRef(branch, n), loansPerBranch(perBranchPerDay, size)
 *
 * Payments (channel.ts)
 *   CHANNELS, GATEWAYS, FAILURE_REASONS, CHANNEL_SHARES (typical weekday), GATEWAY_SHARES
 *   expectedAttemptsPerHour(channel, ms, size, perBranchPerDay) -> attempts/hour for one branch:
 *       perBranchPerDay × size × share × dayFactor(channel, ms) × hourShare(channel, IST hour)
 *   hourShare(channel, hour), dayFactor(channel, ms)   daily rhythm and calendar (EMI surge on the
 *       1st-5th, weekends, no mandate batch on Sundays)
 *   failureProbabilities(channel, gateway, conditions) -> [reason, p][];  successProbability(...)
 *   meanAmountInr(channel), AMOUNT_MEDIAN_INR; samplers: sampleAmountInr, sampleOutcome,
 *       sampleProcessingSeconds (take an Rng)
 *
 * Cash in the field (collection.ts): OTP_PROBABILITIES, sampleOtp, officerWeight,
 *   confirmationTime (when the branch confirms the cash)
 * LMS outbox (posting.ts): lmsDrainPerSecond(branches), LMS_PICKUP_SECONDS, LMS_REJECT_PROBABILITY
 * RFID (reader.ts): verificationsPerHour(ms, size), sampleVerification, VERIFICATION_RESULTS,
 *   verificationShare(result), HEARTBEAT_SECONDS
 * Activities (activity.ts, activities.ts): business events declared as data — family, rate per
 *   branch/hour/weekday, split label shares, outcome mix, answer time, table — that the engine and
 *   the history write generically: ACTIVITIES, eventsPerHour, eventSuccessProbability, sampleEvent
 * Reconciliation (reconciliation.ts): reconciliationPlan(seed, branch, dayNumber, dayMs)
 * Incidents that happen by themselves (incidents.ts): lmsDowntime, readerOutages,
 *   gatewayDegradations (per IST day, from the seed), within(episodes, ms), episodesBetween
 * Payments API (api.ts): apiPaymentsPerHour, apiLoad (0..1), REQUESTS_PER_PAYMENT,
 *   LOGIN_FAILURE_PROBABILITY, dbSeconds, gatewaySeconds, API_TIMEOUT_SECONDS
 * Calendar (calendar.ts): istParts, istDate, istDayStart, istTime, istDayNumber,
 *   WORKING_HOURS and workingHoursFrom(ms) (the next weekday hours the whole business is at work),
 *   inMaintenanceWindow (the contract's: second Sunday of the month, 02:00-05:00 IST)
 * Randomness (random.ts): Rng (seeded mulberry32: next, int, chance, poisson, lognormal, pick),
 *   hash32 — derive a stream per (seed, purpose, time) with Rng.of(seed, 'purpose', key)
 *
 * Backfill recipe: for each scrape step t and branch b, the expected increase of
 * payments_total{branch=b, channel=c, status="success"} over the step is
 * expectedAttemptsPerHour(c, t, b.size, perBranchPerDay) × step/3600 × successProbability(c, gateway)
 * (split card/netbanking by GATEWAY_SHARES); failures by failureProbabilities; amounts by
 * meanAmountInr. Cash succeeds when confirmed (confirmationTime), not when collected.
 */
export * from './random.ts';
export * from './calendar.ts';
export * from './channel.ts';
export * from './branch.ts';
export * from './collection.ts';
export * from './posting.ts';
export * from './reader.ts';
export * from './activity.ts';
export * from './activities.ts';
export * from './reconciliation.ts';
export * from './incidents.ts';
export * from './api.ts';
