import { alertmanagerSilence } from './alertmanager-silence';
import { dirClear } from './dir-clear';
import { dockerRestart } from './docker-restart';
import { dockerSignal } from './docker-signal';
import { httpCall } from './http-call';
import { jsonFileUpdate } from './json-file-update';
import { locksRemoveStale } from './locks-remove-stale';
import { postgresTerminateLongRunning } from './postgres-terminate-long-running';
import { processSignal } from './process-signal';
import { processStart } from './process-start';
import { redisDeleteKeys } from './redis-delete-keys';
import { tasksFailStuck } from './tasks-fail-stuck';
import { tasksRequeueStuck } from './tasks-requeue-stuck';
import { tasksResumeGradually } from './tasks-resume-gradually';
import type { Remediation } from './types';

/** Every remediation action the catalog may name. Add one here after writing its file (see README.md). */
export const remediationRegistry = {
  'docker.restart': dockerRestart,
  'docker.signal': dockerSignal,
  'postgres.terminate-long-running': postgresTerminateLongRunning,
  'redis.delete-keys': redisDeleteKeys,
  'tasks.requeue-stuck': tasksRequeueStuck,
  'tasks.fail-stuck': tasksFailStuck,
  'tasks.resume-gradually': tasksResumeGradually,
  'json-file.update': jsonFileUpdate,
  'dir.clear': dirClear,
  'locks.remove-stale': locksRemoveStale,
  'alertmanager.silence': alertmanagerSilence,
  'http.call': httpCall,
  'process.signal': processSignal,
  'process.start': processStart,
} as const;

export type RemediationAction = keyof typeof remediationRegistry;

export const REMEDIATION_ACTIONS = Object.keys(remediationRegistry) as RemediationAction[];

/** An action → implementation map; the service takes one so tests can pass their own. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RemediationRegistry = Readonly<Record<string, Remediation<any, any>>>;

export function getRemediation(registry: RemediationRegistry, action: string): Remediation<unknown, unknown> | undefined {
  return Object.prototype.hasOwnProperty.call(registry, action) ? registry[action] : undefined;
}
