import type { DiagnosisEventData } from '../domain/timeline-event';
import type { IncidentService } from '../incidents/incident-service';
import type { DiagnosisResult } from './run-diagnosis';

/** Where a diagnosis was shown: the channel, the thread it was asked from (if any) and its own message. */
export interface DiagnosisPlace {
  channelId: string;
  threadTs?: string;
  messageTs: string;
  /** Who asked for it (`bot` for an automatic diagnosis of an alert). */
  actor: string;
}

export function diagnosisEventData(r: DiagnosisResult, place: Pick<DiagnosisPlace, 'channelId' | 'messageTs'>): DiagnosisEventData {
  return {
    alert: r.alert.name,
    runbookId: r.runbook.id,
    status: r.status,
    labels: { ...r.labels },
    probes: r.probes.map((p) => ({
      id: p.id,
      kind: p.kind,
      title: p.title,
      status: p.status,
      summary: p.summary,
      figures: p.figures.map((f) => ({ label: f.label, value: f.value, ...(f.unit ? { unit: f.unit } : {}) })),
    })),
    channelId: place.channelId,
    messageTs: place.messageTs,
  };
}

/**
 * Puts a finished diagnosis on the timeline of the incident it concerns (asked in the incident's thread or channel,
 * or in the thread of an alert linked to it), so the post-mortem can report the probes' peak values.
 * Returns the incident's id, or null when the diagnosis concerns no incident.
 *
 * @example
 *   const record = createDiagnosisRecorder({ incidents });
 *   await record(result, { channelId, threadTs, messageTs: posted.ts, actor: userId });
 */
export function createDiagnosisRecorder(deps: { incidents: Pick<IncidentService, 'concerning' | 'addTimelineEvent'> }) {
  return async (result: DiagnosisResult, place: DiagnosisPlace): Promise<string | null> => {
    const incident = await deps.incidents.concerning({
      channelId: place.channelId,
      ...(place.threadTs ? { threadTs: place.threadTs } : {}),
    });
    if (!incident || incident.status === 'resolved') return null;
    await deps.incidents.addTimelineEvent(incident.id, {
      kind: 'diagnosis',
      actor: place.actor,
      text: `Diagnosis of ${result.alert.name}: ${result.status}`,
      data: diagnosisEventData(result, place),
    });
    return incident.id;
  };
}
