// Demo scenarios switched on by hand (HTTP or CLI) on top of the incidents the model draws by
// itself. Each runs from the simulated moment it starts until its simulated end.
import {
  GATEWAYS,
  gatewayDegradations,
  lmsDowntime,
  readerOutages,
  within,
  inMaintenanceWindow,
  type Gateway,
  type PaymentConditions,
} from './model/index.ts';

export const SCENARIOS = ['lms_outage', 'gateway_outage', 'rfid_outage', 'slow_database', 'late_webhooks'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export function isScenario(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}

interface Running {
  start: number;
  end: number;
  /** gateway_outage: which gateway is down. */
  gateway?: Gateway;
}

export interface ScenarioState {
  name: ScenarioName;
  /** Simulated start and end, epoch ms. */
  start: number;
  end: number;
  gateway?: Gateway;
}

export class Scenarios {
  private running = new Map<ScenarioName, Running>();

  constructor(
    private readonly seed: number,
    /** Whether incidents drawn from the model happen by themselves. */
    private readonly naturalIncidents: boolean,
  ) {}

  start(name: ScenarioName, fromMs: number, durationMs: number, gateway: Gateway = 'gateway_a'): ScenarioState {
    const running: Running = { start: fromMs, end: fromMs + durationMs, ...(name === 'gateway_outage' ? { gateway } : {}) };
    this.running.set(name, running);
    return { name, ...running };
  }

  stop(name: ScenarioName, atMs: number): boolean {
    const running = this.running.get(name);
    if (!running || running.end <= atMs) return false;
    running.end = Math.max(running.start, atMs);
    return true;
  }

  /** The scenario's state when it is active at `ms`. */
  active(name: ScenarioName, ms: number): Running | undefined {
    const running = this.running.get(name);
    return running && ms >= running.start && ms < running.end ? running : undefined;
  }

  list(ms: number): ScenarioState[] {
    return SCENARIOS.flatMap((name) => {
      const running = this.active(name, ms);
      return running ? [{ name, ...running }] : [];
    });
  }

  lmsDown(ms: number): boolean {
    return !!this.active('lms_outage', ms) || (this.naturalIncidents && within(lmsDowntime(this.seed, ms), ms));
  }

  gatewaysDown(ms: number): Set<Gateway> {
    const down = new Set<Gateway>();
    const outage = this.active('gateway_outage', ms);
    if (outage?.gateway) down.add(outage.gateway);
    if (this.naturalIncidents)
      for (const gateway of GATEWAYS) if (within(gatewayDegradations(this.seed, gateway, ms), ms)) down.add(gateway);
    return down;
  }

  readerDown(reader: string, ms: number): boolean {
    return !!this.active('rfid_outage', ms) || (this.naturalIncidents && within(readerOutages(this.seed, reader, ms), ms));
  }

  slowDatabase(ms: number): boolean {
    return !!this.active('slow_database', ms);
  }

  /**
   * late_webhooks: a gateway's webhooks queue up, so a quarter of the card, net-banking and UPI
   * payments reach the database LATE_WEBHOOK_MS after they completed (a late commit: the row's
   * completed_at is that far in the past when it is written). The exporters count them once all
   * the same and meter them as late rows (LateRowsGrowing).
   */
  lateWebhooks(ms: number): boolean {
    return !!this.active('late_webhooks', ms);
  }

  /** The payments engine is down: the monthly maintenance window. */
  engineDown(ms: number): boolean {
    return this.naturalIncidents && inMaintenanceWindow(ms);
  }

  paymentConditions(ms: number): PaymentConditions {
    return { gatewaysDown: this.gatewaysDown(ms), slowDatabase: this.slowDatabase(ms) };
  }
}

/** How late a webhook arrives during the late_webhooks scenario. */
export const LATE_WEBHOOK_MS = 10 * 60_000;
