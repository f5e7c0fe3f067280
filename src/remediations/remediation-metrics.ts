import { Counter, Histogram, type Registry } from 'prom-client';

export interface RemediationMetrics {
  /** outcome: succeeded | failed | denied | expired | interrupted */
  remediations: Counter<'action' | 'outcome'>;
  /** From the request to its approval. */
  approvalLatency: Histogram<'action' | 'risk'>;
}

/**
 * Remediation metrics on the bot's Registry.
 *
 * @example
 *   const metrics = createRemediationMetrics(registry);
 */
export function createRemediationMetrics(registry: Registry): RemediationMetrics {
  return {
    remediations: new Counter({
      name: 'incident_bot_remediations_total',
      help: 'Remediation requests that reached a final state, by action and outcome (succeeded, failed, denied, expired, interrupted)',
      labelNames: ['action', 'outcome'],
      registers: [registry],
    }),
    approvalLatency: new Histogram({
      name: 'incident_bot_remediation_approval_latency_seconds',
      help: 'From a remediation request to its approval',
      labelNames: ['action', 'risk'],
      buckets: [5, 15, 30, 60, 120, 300, 600, 900],
      registers: [registry],
    }),
  };
}
