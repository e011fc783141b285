// Suspicious request patterns the payments API counts (http_suspicious_requests_total): signs of an
// attack rather than of a customer having a bad day. Each is "one client touching many distinct
// keys in a minute" — a customer mistypes their own password or loan number, an attacker walks a
// list. Counted per request that matches, so the rate shows how hard the attack is.

export type SuspiciousPattern = 'credential_stuffing' | 'loan_enumeration';

/** How many distinct keys one client may touch in a minute before its requests look like an attack. */
export const SUSPICION_THRESHOLDS: Readonly<Record<SuspiciousPattern, number>> = {
  /** Failed logins for this many different users from one client. */
  credential_stuffing: 5,
  /** Lookups of this many different unknown loans from one client. */
  loan_enumeration: 10,
};

export const SUSPICIOUS_PATTERNS = Object.keys(SUSPICION_THRESHOLDS) as SuspiciousPattern[];

const WINDOW_MS = 60_000;

export class SuspicionDetector {
  /** pattern -> client -> key -> last time seen. */
  private seen = new Map<SuspiciousPattern, Map<string, Map<string, number>>>();

  /** Records that `client` touched `key` under `pattern`; true when the request matches the pattern. */
  observe(pattern: SuspiciousPattern, client: string, key: string, now = Date.now()): boolean {
    const clients = this.seen.get(pattern) ?? new Map<string, Map<string, number>>();
    this.seen.set(pattern, clients);
    const keys = clients.get(client) ?? new Map<string, number>();
    clients.set(client, keys);
    keys.set(key, now);
    for (const [k, at] of keys) if (now - at >= WINDOW_MS) keys.delete(k);
    // Bounded memory: clients idle for a minute are forgotten.
    if (clients.size > 10_000) for (const [c, ks] of clients) if ([...ks.values()].every((at) => now - at >= WINDOW_MS)) clients.delete(c);
    return keys.size >= SUSPICION_THRESHOLDS[pattern];
  }
}
