import type { App } from '@slack/bolt';
import type { AlertDiagnoser } from '../../alerts/alert-intake';
import { onButton } from '../button-router';
import type { WebClient } from '@slack/web-api';
import { closestMatches } from '../../closest-match';
import { labelsOfAlert, runDiagnosis, type DiagnosisMetrics, type DiagnosisPlace, type DiagnosisResult } from '../../diagnosis';
import type { Logger } from '../../logger';
import { SAFE_LABEL_VALUE } from '../../targets/params-template';
import type { AlertRecord } from '../../domain/alert';
import { findAlert, type Catalog, type Runbook } from '../../runbooks';
import {
  DASHBOARD_LINK_ACTION,
  DIAGNOSE_AGAIN_ACTION_ID,
  parseDiagnoseAgainValue,
  renderDiagnosisBlocks,
} from '../blocks/diagnosis-blocks';
import { escapeMrkdwn } from '../blocks/mrkdwn';
import { createCoalescedUpdater } from '../coalesced-updater';
import type { SlackPoster } from '../slack-poster';
import { respondWithError, type CommandInvocation } from './incident-command-dispatch';

export interface DiagnoseDeps {
  catalog: Catalog;
  client: WebClient;
  poster: SlackPoster;
  logger: Logger;
  metrics: DiagnosisMetrics;
  /** Called with every final diagnosis and where it was posted (app.ts records it on the incident it concerns). */
  onDiagnosed?: (r: DiagnosisResult, place: DiagnosisPlace) => Promise<unknown>;
  progressIntervalMs?: number;
  /** The clock the probes measure ages against (default: system time). */
  now?: () => Date;
}

export type DiagnoseOutcome = { kind: 'diagnosed'; result: DiagnosisResult; ts: string } | { kind: 'unknown_alert'; suggestions: string[] };

/**
 * Runs the alert's runbook checks and shows them in one message: posted at once
 * ("Diagnosing X: 7 checks…"), updated as probes finish, final with causes,
 * manual steps, the runbook link and remediation buttons.
 */
export async function diagnoseInChannel(
  deps: DiagnoseDeps,
  req: { alert: string; labels: Record<string, string>; channel: string; threadTs?: string; userId: string; log?: Logger },
): Promise<DiagnoseOutcome> {
  const found = findAlert(deps.catalog, req.alert);
  if (!found.found) return { kind: 'unknown_alert', suggestions: found.suggestions };
  const log = req.log ?? deps.logger;
  const unconfigured = unconfiguredRemediations(found.runbook);

  // The first visible message goes out as soon as the engine reports the pending checks,
  // before any probe can hold it back; later states edit it in place.
  let startMessage!: (r: DiagnosisResult) => void;
  const posted = new Promise<string>((resolve, reject) => {
    startMessage = (r) => {
      const { text, blocks } = renderDiagnosisBlocks(r, { unconfigured });
      deps.poster.post({ channel: req.channel, thread_ts: req.threadTs, text, blocks }).then((p) => resolve(p.ts), reject);
    };
  });
  posted.catch(() => undefined); // surfaced below, after the probes finish
  let started = false;

  const updater = createCoalescedUpdater<DiagnosisResult>(async (r) => {
    const msgTs = await posted;
    const { text, blocks } = renderDiagnosisBlocks(r, { unconfigured });
    await deps.client.chat.update({ channel: req.channel, ts: msgTs, text, blocks }).catch((err: Error) => {
      log.warn({ err: { message: err.message } }, 'diagnosis progress update failed');
    });
  }, deps.progressIntervalMs ?? 1_000);

  const result = await runDiagnosis({
    runbook: found.runbook,
    alert: found.alert,
    labels: req.labels,
    logger: log,
    metrics: deps.metrics,
    ...(deps.now ? { now: deps.now } : {}),
    onProgress: (partial) => {
      if (!started) {
        started = true;
        startMessage(partial);
        return;
      }
      if (!partial.complete) updater.push(partial);
    },
  });
  const ts = await posted;
  await updater.finish(result);
  await deps
    .onDiagnosed?.(result, {
      channelId: req.channel,
      ...(req.threadTs ? { threadTs: req.threadTs } : {}),
      messageTs: ts,
      actor: req.userId,
    })
    .catch((err: Error) => {
      log.warn({ err: { message: err.message } }, 'recording the diagnosis failed');
    });
  return { kind: 'diagnosed', result, ts };
}

/** The runbook's remediations whose target lacks environment variables, with those variables. */
export function unconfiguredRemediations(runbook: Runbook): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const entry of runbook.remediations) {
    const missing = entry.target ? runbook.targets[entry.target]?.missing : undefined;
    if (missing && missing.length) out[entry.id] = [...missing];
  }
  return out;
}

/** Diagnoses a recorded alert in its own thread, with the labels that are safe to hand to probes. */
export function diagnoseAlert(
  deps: DiagnoseDeps,
  alert: AlertRecord & { channelId: string; messageTs: string },
  userId: string,
  log?: Logger,
): Promise<DiagnoseOutcome> {
  const labels = Object.fromEntries(Object.entries(alert.labels).filter(([, v]) => SAFE_LABEL_VALUE.test(v)));
  return diagnoseInChannel(deps, { alert: alert.name, labels, channel: alert.channelId, threadTs: alert.messageTs, userId, log });
}

/** The alert intake's diagnoser: the alert's runbook checks in the thread the intake names, started by the bot. */
export function createAlertDiagnoser(deps: DiagnoseDeps): AlertDiagnoser {
  return {
    diagnose: async (alert, thread) => {
      await diagnoseAlert(deps, { ...alert, channelId: thread.channel, messageTs: thread.threadTs }, 'bot');
    },
  };
}

export function diagnoseCommandHandler(deps: DiagnoseDeps) {
  return async (inv: CommandInvocation<{ name: 'diagnose'; alert: string; labels: Record<string, string> }>): Promise<void> => {
    // a label the alert does not use would be silently ignored: say so (a typo like agnet=… otherwise looks like a clean run)
    const hit = findAlert(deps.catalog, inv.command.alert);
    if (hit.found) {
      const known = labelsOfAlert(hit.runbook, hit.alert);
      const unknown = Object.keys(inv.command.labels).find((l) => !known.includes(l));
      if (unknown !== undefined) {
        const near = closestMatches(unknown, known, 1);
        await inv.respond({
          response_type: 'ephemeral',
          text: `\`${escapeMrkdwn(hit.alert.name)}\` uses no label \`${escapeMrkdwn(unknown.slice(0, 64))}\`${near.length ? `: did you mean \`${near[0]}\`?` : '.'} ${known.length ? `Its labels: ${known.map((k) => `\`${k}\``).join(', ')}.` : 'It takes no labels.'}`,
        });
        return;
      }
    }
    const outcome = await diagnoseInChannel(deps, {
      alert: inv.command.alert,
      labels: inv.command.labels,
      channel: inv.channelId,
      userId: inv.userId,
      log: inv.log,
    });
    if (outcome.kind === 'unknown_alert') {
      const hint = outcome.suggestions.length ? ` Closest: ${outcome.suggestions.map((s) => `\`${s}\``).join(', ')}.` : '';
      await inv.respond({
        response_type: 'ephemeral',
        text: `No runbook covers the alert \`${escapeMrkdwn(inv.command.alert.slice(0, 80))}\`.${hint} \`/incident runbooks\` lists them all.`,
      });
    }
  };
}

/** "Run again" on a diagnosis: the value carries only an alert name and labels, both re-validated here. */
export function registerDiagnoseActions(app: App, deps: DiagnoseDeps): void {
  onButton(app, DIAGNOSE_AGAIN_ACTION_ID, async ({ ack, body, action, respond, context }) => {
    await ack();
    const log = (context.log as Logger | undefined) ?? deps.logger;
    const value = parseDiagnoseAgainValue(action.value ?? '');
    const channel = body.channel?.id;
    if (!value || !channel) {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: "That button is not one of this bot's current diagnoses; run `/incident diagnose <Alert>` instead.",
      });
      return;
    }
    const threadTs = body.message?.thread_ts ?? undefined;
    try {
      const outcome = await diagnoseInChannel(deps, {
        alert: value.alert,
        labels: value.labels,
        channel,
        threadTs,
        userId: body.user.id,
        log,
      });
      if (outcome.kind === 'unknown_alert') {
        await respond({ response_type: 'ephemeral', replace_original: false, text: 'That alert is no longer in the runbook catalog.' });
      }
    } catch (err) {
      await respondWithError(err, respond, log, 'the diagnosis');
    }
  });
  // Dashboard buttons open their URL in the browser; Slack still sends the click, which only needs an ack.
  onButton(app, DASHBOARD_LINK_ACTION, async ({ ack }) => {
    await ack();
  });
}
