import { request } from '../targets/undici-loader';
import type { FollowUp } from '../domain/follow-up';

export interface GithubIssuesConfig {
  token: string;
  /** owner/name */
  repo: string;
  /** https://api.github.com, or GitHub Enterprise's /api/v3. */
  apiUrl: string;
}

export type ExportOutcome = { ok: true; url: string; number: number } | { ok: false; reason: string };

const TIMEOUT_MS = 10_000;
const API_VERSION = '2022-11-28';

/**
 * Creates a GitHub issue for a follow-up through the REST API (`POST /repos/{owner}/{repo}/issues`). A refusal or
 * an unreachable GitHub is an outcome with a reason people can act on, never an exception; the token never
 * appears in it.
 */
export async function createGithubIssue(
  config: GithubIssuesConfig,
  followUp: FollowUp,
  context: { incidentTitle: string; ownerName?: string; slackLink?: string },
  send: typeof request = request,
): Promise<ExportOutcome> {
  const [owner, repo] = config.repo.split('/');
  const url = `${config.apiUrl}/repos/${encodeURIComponent(owner!)}/${encodeURIComponent(repo!)}/issues`;
  const body = {
    title: `${followUp.incidentId}: ${followUp.text}`.slice(0, 256),
    body: [
      `Follow-up #${followUp.id} of ${followUp.incidentId}.`,
      '',
      // What people typed in Slack goes in verbatim: it mentions nobody, links nothing and renders no Markdown on GitHub.
      verbatim(
        [
          `Incident: ${fromSlack(context.incidentTitle)}`,
          `Follow-up: ${fromSlack(followUp.text)}`,
          ...(context.ownerName ? [`Owner (Slack): ${fromSlack(context.ownerName)}`] : []),
        ].join('\n'),
      ),
      '',
      `Due: ${followUp.dueAt.toISOString().slice(0, 10)}`,
      ...(context.slackLink ? [`Incident in Slack: ${context.slackLink}`] : []),
      '',
      '_Exported by incident-bot._',
    ].join('\n'),
    labels: ['incident-follow-up'],
  };
  let status: number;
  let text: string;
  try {
    const res = await send(url, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${config.token}`,
        'content-type': 'application/json',
        'user-agent': 'incident-bot',
        'x-github-api-version': API_VERSION,
      },
      body: JSON.stringify(body),
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    return { ok: false, reason: `GitHub did not answer (${(err as Error).message.replaceAll(config.token, '***')})` };
  }
  let parsed: { html_url?: unknown; number?: unknown; message?: unknown } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = {};
  }
  if (status === 201 && typeof parsed.html_url === 'string' && typeof parsed.number === 'number') {
    return { ok: true, url: parsed.html_url, number: parsed.number };
  }
  const message = typeof parsed.message === 'string' ? parsed.message.slice(0, 200) : `HTTP ${status}`;
  const hint =
    status === 401
      ? ': GITHUB_TOKEN is not valid'
      : status === 403 || status === 404
        ? `: the token cannot create issues in ${config.repo} (it needs Issues: write)`
        : status === 410
          ? `: issues are disabled in ${config.repo}`
          : '';
  return { ok: false, reason: `GitHub refused the issue (HTTP ${status}: ${message})${hint}` };
}

/** Slack's encoding of `&`, `<` and `>` undone, so the text reads as it was typed. */
function fromSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A fenced code block longer than any run of backticks in `text`, so the text cannot close it. */
export function verbatim(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}
