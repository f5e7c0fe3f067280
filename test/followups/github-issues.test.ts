import { createGithubIssue } from '../../src/followups/github-issues';
import type { FollowUp } from '../../src/domain/follow-up';
import { startGithubEmulator, type GithubEmulator } from '../support/github-emulator';

const TOKEN = 'ghp_test_token_0123456789abcdef';
const followUp: FollowUp = {
  id: 7,
  incidentId: 'INC-20261126070000',
  text: 'Alert on the age of the oldest queued task',
  owner: 'U0ALICE01',
  status: 'open',
  dueAt: new Date('2026-12-10T00:00:00Z'),
  source: 'postmortem',
  createdBy: 'U0BOB0001',
  createdAt: new Date('2026-11-26T07:00:00Z'),
  doneAt: null,
  doneBy: null,
  lastRemindedAt: null,
  externalUrl: null,
};

/** The GitHub client against an emulator that checks each request against GitHub's published OpenAPI description. */
describe('createGithubIssue', () => {
  let github: GithubEmulator;
  beforeAll(async () => {
    github = await startGithubEmulator({ token: TOKEN });
  }, 60_000);
  afterAll(() => github.close());

  it('creates an issue with a request the OpenAPI description accepts, and reads its number and URL back', async () => {
    const r = await createGithubIssue({ token: TOKEN, repo: 'acme/ops', apiUrl: github.url }, followUp, {
      incidentTitle: 'Workers stuck',
      ownerName: '<@U0ALICE01>',
    });
    expect(r).toEqual({ ok: true, number: 1, url: expect.stringMatching(/\/acme\/ops\/issues\/1$/) });
    expect(github.violations()).toEqual([]);
    const [call] = github.calls;
    expect(call).toMatchObject({ method: 'post', operation: 'post /repos/{owner}/{repo}/issues', status: 201 });
    const [issue] = github.issues('acme', 'ops');
    expect(issue).toMatchObject({ title: `${followUp.incidentId}: ${followUp.text}`, state: 'open' });
    expect(String(issue!.body)).toContain('Due: 2026-12-10');
  });

  it('puts what people typed in verbatim: no mention, cross-reference, link or Markdown reaches GitHub live', async () => {
    const hostile = { ...followUp, text: 'ping @acme/everyone see other-org/repo#1 [Fix it here](https://evil.invalid) ```` &lt;b&gt;' };
    const r = await createGithubIssue({ token: TOKEN, repo: 'acme/ops', apiUrl: github.url }, hostile, {
      incidentTitle: '@octocat *bold*',
    });
    expect(r.ok).toBe(true);
    const issue = github.issues('acme', 'ops').at(-1)!;
    const body = String(issue.body);
    const fenced = /^(`{3,})text\n([\s\S]*?)\n\1$/m.exec(body);
    expect(fenced?.[1]).toBe('`````');
    expect(fenced?.[2]).toContain('Follow-up: ping @acme/everyone see other-org/repo#1 [Fix it here](https://evil.invalid) ```` <b>');
    expect(fenced?.[2]).toContain('Incident: @octocat *bold*');
    // Outside the fence, nothing that came from Slack.
    expect(body.replace(fenced![0], '')).not.toMatch(/@acme|@octocat|evil\.invalid|repo#1/);
    expect(github.violations()).toEqual([]);
  });

  it('reports a refused token as a reason to act on, without the token', async () => {
    const r = await createGithubIssue({ token: 'ghp_wrong_token', repo: 'acme/ops', apiUrl: github.url }, followUp, {
      incidentTitle: 'Workers stuck',
    });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('HTTP 401: Bad credentials): GITHUB_TOKEN is not valid') });
    expect(JSON.stringify(r)).not.toContain('ghp_wrong_token');
  });

  it('reports issues disabled in the repository', async () => {
    github.failNext(410);
    const r = await createGithubIssue({ token: TOKEN, repo: 'acme/ops', apiUrl: github.url }, followUp, { incidentTitle: 'Workers stuck' });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('issues are disabled in acme/ops') });
  });

  it('says when GitHub cannot be reached', async () => {
    const r = await createGithubIssue({ token: TOKEN, repo: 'acme/ops', apiUrl: 'http://127.0.0.1:9' }, followUp, {
      incidentTitle: 'Workers stuck',
    });
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^GitHub did not answer/) });
  });

  it('the emulator itself refuses a body the description does not allow', async () => {
    const res = await fetch(`${github.url}/repos/acme/ops/issues`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'user-agent': 'test' },
      body: JSON.stringify({ body: 'no title', labels: 'not-an-array' }),
    });
    expect(res.status).toBe(422);
    const problems = github.calls.at(-1)!.problems.join('\n');
    expect(problems).toContain("must have required property 'title'");
    expect(problems).toContain('body/labels must be array');
    const unknown = await fetch(`${github.url}/repos/acme/ops/tickets`, { method: 'POST', headers: { 'user-agent': 'test' } });
    expect(unknown.status).toBe(404);
    expect(github.calls.at(-1)!.problems).toEqual(['POST /repos/acme/ops/tickets is not an operation of the GitHub REST API description']);
  });
});
