import { alertmanagerProbe } from './alertmanager';
import { diskProbe } from './disk';
import { dockerProbe } from './docker';
import { heartbeatProbe } from './heartbeat';
import { httpProbe } from './http';
import { logTailProbe } from './log-tail';
import { metricsScrapeProbe } from './metrics-scrape';
import { pidfileProbe } from './pidfile';
import { postgresProbe } from './postgres';
import { prometheusProbe } from './prometheus';
import { redisProbe } from './redis';
import { taskQueueProbe } from './task-queue';
import type { Probe } from './types';

/** Every probe kind the catalog may name. Add a kind here after writing its file (see README.md). */
export const probeRegistry = {
  prometheus: prometheusProbe,
  http: httpProbe,
  'metrics-scrape': metricsScrapeProbe,
  postgres: postgresProbe,
  redis: redisProbe,
  docker: dockerProbe,
  heartbeat: heartbeatProbe,
  'task-queue': taskQueueProbe,
  pidfile: pidfileProbe,
  'log-tail': logTailProbe,
  disk: diskProbe,
  alertmanager: alertmanagerProbe,
} as const;

export type ProbeKind = keyof typeof probeRegistry;

/** A kind → probe map; the engine takes one so tests can pass their own. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProbeRegistry = Readonly<Record<string, Probe<any>>>;

export const PROBE_KINDS = Object.keys(probeRegistry) as ProbeKind[];

export function getProbe(registry: ProbeRegistry, kind: string): Probe<unknown> | undefined {
  return Object.prototype.hasOwnProperty.call(registry, kind) ? registry[kind] : undefined;
}
