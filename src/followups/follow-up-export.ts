import type { Clock } from '../clock';
import { BotError } from '../errors';
import type { FollowUp, FollowUpStore } from '../domain/follow-up';
import type { Incident } from '../domain/incident';
import { createGithubIssue, type ExportOutcome, type GithubIssuesConfig } from './github-issues';

/** An export whose replica died is taken over after this long. */
const EXPORT_LEASE_MS = 60_000;

export interface FollowUpExporter {
  /** Creates the follow-up's GitHub issue once (clicks, retries and replicas included); throws a BotError saying why not. */
  exportToGithub(id: number, context: { slackLink?: string }): Promise<{ followUp: FollowUp; url: string; created: boolean }>;
}

export function createFollowUpExporter(deps: {
  store: FollowUpStore;
  getIncident: (id: string) => Promise<Incident>;
  /** undefined: GITHUB_TOKEN / GITHUB_REPO are not set. */
  github?: GithubIssuesConfig;
  clock: Clock;
  create?: typeof createGithubIssue;
}): FollowUpExporter {
  return {
    exportToGithub: async (id, context) => {
      if (!deps.github)
        throw new BotError('NOT_CONFIGURED', 'Export to GitHub Issues is not configured: set GITHUB_TOKEN and GITHUB_REPO.');
      const followUp = await deps.store.get(id);
      if (!followUp) throw new BotError('NOT_FOUND', `There is no follow-up #${id}.`);
      if (followUp.externalUrl) return { followUp, url: followUp.externalUrl, created: false };
      const now = deps.clock.now();
      if (!(await deps.store.claimExport(id, now, new Date(now.getTime() - EXPORT_LEASE_MS)))) {
        const again = await deps.store.get(id);
        if (again?.externalUrl) return { followUp: again, url: again.externalUrl, created: false };
        throw new BotError('CONFLICT', `Follow-up #${id} is being exported right now; its issue link follows.`);
      }
      const incident = await deps.getIncident(followUp.incidentId);
      let outcome: ExportOutcome;
      try {
        outcome = await (deps.create ?? createGithubIssue)(deps.github, followUp, {
          incidentTitle: incident.title,
          ...(followUp.owner ? { ownerName: `Slack user ${followUp.owner}` } : {}),
          ...(context.slackLink ? { slackLink: context.slackLink } : {}),
        });
      } catch (err) {
        await deps.store.finishExport(id, null);
        throw err;
      }
      await deps.store.finishExport(id, outcome.ok ? outcome.url : null);
      if (!outcome.ok) throw new BotError('UPSTREAM', `Follow-up #${id} was not exported: ${outcome.reason}.`);
      return { followUp: { ...followUp, externalUrl: outcome.url }, url: outcome.url, created: true };
    },
  };
}
