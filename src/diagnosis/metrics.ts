import { Counter, Histogram, type Registry } from 'prom-client';

export interface DiagnosisMetrics {
  probeDuration: Histogram<'kind' | 'status'>;
  probeOutcomes: Counter<'kind' | 'status'>;
  diagnoses: Counter<'runbook' | 'status'>;
}

/** Registers the diagnosis metrics on the caller's Registry (the composition root owns it). */
export function createDiagnosisMetrics(registry: Registry): DiagnosisMetrics {
  return {
    probeDuration: new Histogram({
      name: 'incident_bot_probe_duration_seconds',
      help: 'Duration of diagnostic probes by kind and outcome',
      labelNames: ['kind', 'status'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    probeOutcomes: new Counter({
      name: 'incident_bot_probe_outcomes_total',
      help: 'Diagnostic probe outcomes by kind and status',
      labelNames: ['kind', 'status'] as const,
      registers: [registry],
    }),
    diagnoses: new Counter({
      name: 'incident_bot_diagnoses_total',
      help: 'Diagnoses run, by runbook and overall status',
      labelNames: ['runbook', 'status'] as const,
      registers: [registry],
    }),
  };
}
