import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RecordedCall } from '../../src/emulator/slack-emulator';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { createMigratedDatabase } from '../support/migrated-database';
import { makeService } from '../remediations/harness';
import { startSecuredBot, type SecuredBot } from './harness';
import { waitForAnswer, isEphemeral } from '../support/answers';

const INCIDENT_CHANNEL = 'C0SECINC';
const SIDE_CHANNEL = 'C0SIDEDM';
const ALERT_CHANNEL = 'C0SECALRT';
const ONCALL = 'S0ONCALL';
const RESPONDERS = 'S0RESPONDERS';
const REQUESTER = 'U0ONCALL01';
const SECOND = 'U0ONCALL02';
const RESPONDER = 'U0RESP0001';
const OUTSIDER = 'U0OUTSIDER';
const RUN = Date.now().toString(36).toUpperCase();

/**
 * Who may request and approve is configuration: REMEDIATION_REQUESTERS_LOW names the on-call group,
 * REMEDIATION_APPROVERS_HIGH the responders. Approvals are posted where the incident or alert lives.
 */
describe('remediation roles and where approvals go', () => {
  let s: SecuredBot;
  let alertmanager: RunningAlertmanager;
  let shared: string;
  let incidentId: string;
  let incidentTs: string;

  beforeAll(async () => {
    shared = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-security-roles-'));
    await fs.mkdir(path.join(shared, 'locks'));
    const old = new Date(Date.now() - 60 * 60_000);
    for (const worker of ['w1', 'w2']) {
      const file = path.join(shared, 'locks', `${worker}_task.lock`);
      await fs.writeFile(file, '4242\n');
      await fs.utimes(file, old, old);
    }
    alertmanager = await startAlertmanager();
    s = await startSecuredBot(
      'remediation_roles',
      {
        WORKERS_SHARED_DIR: shared,
        WORKER_NAMES: 'w1,w2',
        ALERTMANAGER_URL: alertmanager.url,
        REMEDIATION_REQUESTERS_LOW: ONCALL,
        REMEDIATION_APPROVERS_HIGH: RESPONDERS,
      },
      (slack) => {
        slack.addUsergroup(ONCALL, [REQUESTER, SECOND]);
        slack.addUsergroup(RESPONDERS, [RESPONDER]);
        // Public channels: an incident opened in a channel Slack does not describe counts as private.
        slack.addChannel({ id: INCIDENT_CHANNEL, name: 'sec-incidents', members: [REQUESTER, SECOND, RESPONDER] });
        slack.addChannel({ id: ALERT_CHANNEL, name: 'sec-alerts', members: [REQUESTER, SECOND, RESPONDER] });
      },
    );
    await command(INCIDENT_CHANNEL, REQUESTER, 'open Workers crash in a loop P2');
    const note = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENT_CHANNEL && /Incident ID:\* INC-\d{14}/.test(String(c.args.text)),
      15_000,
    );
    incidentId = /INC-\d{14}/.exec(String(note.args.text))![0];
    incidentTs = (note.response as { ts: string }).ts;
  }, 90_000);

  afterAll(async () => {
    await s?.stop();
    await alertmanager?.stop();
    if (shared) await fs.rm(shared, { recursive: true, force: true });
  });

  const command = (channel: string, user: string, text: string) => s.command(text, { channel, user });
  const click = (user: string, where: { channel: string; messageTs: string; threadTs?: string }, actionId: string, value: string) =>
    s.click({ ...where, user, actionId, value, blockId: 'security' });
  /** The ephemeral answer matching `pattern` (each test's patterns are its own). */
  const answer = (pattern: RegExp) => waitForAnswer(s.slack, (c) => isEphemeral(c) && pattern.test(String(c.args.text)), 10_000);
  const approvals = () => s.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('Approval needed'));
  const buttonValue = (call: RecordedCall, actionId: string) =>
    String(
      (call.args.blocks as { elements?: { action_id: string; value: string }[] }[])
        .flatMap((b) => b.elements ?? [])
        .find((e) => e.action_id === actionId)!.value,
    );

  it('refuses a requester without the role, audits it, and posts no approval; an on-call member may ask', async () => {
    await command(INCIDENT_CHANNEL, OUTSIDER, `remediate remove-stale-locks ${incidentId} worker=w1`);
    const refused = await answer(/was refused/);
    expect(String(refused.args.text)).toContain('you may not request “Remove stale lock files (&gt; 5 min)” (low risk)');
    expect(approvals()).toEqual([]);
    expect(
      await s.count(`SELECT count(*) AS n FROM audit_log WHERE action = 'remediation.request_refused' AND actor = $1`, [OUTSIDER]),
    ).toBe(1);

    await command(INCIDENT_CHANNEL, REQUESTER, `remediate remove-stale-locks ${incidentId} worker=w1`);
    const approval = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => String(c.args.text).startsWith('Approval needed') && JSON.stringify(c.args.blocks).includes('w1_task.lock'),
      10_000,
    );
    expect(approval.args).toMatchObject({ channel: INCIDENT_CHANNEL, thread_ts: incidentTs });
  }, 30_000);

  it('never posts the approval only in a side channel the requester picked', async () => {
    const before = approvals().length;
    await command(SIDE_CHANNEL, SECOND, 'remediate remove-stale-locks worker=w2');
    const reply = await answer(/approvals are posted where the incident or alert lives/);
    expect(String(reply.args.text)).toContain('APPROVALS_CHANNEL');
    expect(approvals()).toHaveLength(before);
    expect(s.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === SIDE_CHANNEL)).toEqual([]);

    // Naming the incident from the side channel: the approval goes to the incident's thread, not the side channel.
    await command(SIDE_CHANNEL, SECOND, `remediate remove-stale-locks ${incidentId} worker=w2`);
    const approval = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => String(c.args.text).startsWith('Approval needed') && JSON.stringify(c.args.blocks).includes('w2_task.lock'),
      10_000,
    );
    expect(approval.args).toMatchObject({ channel: INCIDENT_CHANNEL, thread_ts: incidentTs });
    expect(s.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === SIDE_CHANNEL)).toEqual([]);
  }, 30_000);

  /** An Alertmanager post about `name` with these labels, delivered as Slack does; resolves with the bot's reply. */
  async function alertInChannel(
    name: string,
    labels: Record<string, string>,
  ): Promise<{ postTs: string; replyTs: string; alertId: string }> {
    const details = Object.entries({ alertname: name, ...labels })
      .map(([k, v]) => `  • *${k}:* \`${v}\``)
      .join('\n');
    const attachments = [{ title: `[FIRING:1] ${name}`, text: `*Alert:* ${name}\n*Details:*\n${details}\n` }];
    const postTs = s.slack.seedThread(ALERT_CHANNEL, [
      { subtype: 'bot_message', bot_id: 'B0ALERTMGR', username: 'Alertmanager', attachments },
    ]);
    const event = {
      type: 'message',
      subtype: 'bot_message',
      bot_id: 'B0ALERTMGR',
      username: 'Alertmanager',
      text: '',
      attachments,
      ts: postTs,
      channel: ALERT_CHANNEL,
      event_ts: postTs,
    };
    await s.sendEvent({ event_id: `Ev${RUN}${name.toUpperCase()}`, event });
    const reply = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERT_CHANNEL && c.args.thread_ts === postTs,
      10_000,
    );
    return { postTs, replyTs: (reply.response as { ts: string }).ts, alertId: buttonValue(reply, 'alert_acknowledge') };
  }
  const silences = async () =>
    (await (await fetch(`${alertmanager.url}/api/v2/silences`)).json()) as {
      createdBy: string;
      comment: string;
      matchers: { name: string; value: string }[];
    }[];
  const silencesOf = async (alertname: string) =>
    (await silences()).filter((x) => x.matchers.some((m) => m.name === 'alertname' && m.value === alertname));

  it("a silence that would match more than the one alert needs a responder's approval; the requester's colleague cannot give it", async () => {
    await alertmanager.postAlerts([
      { labels: { alertname: 'SecDiskFull', severity: 'warning', instance: 'disk-a' } },
      { labels: { alertname: 'SecDiskFull', severity: 'warning', instance: 'disk-b' } },
    ]);
    // The grouped post names only the common labels: silencing them would silence both disks.
    const alert = await alertInChannel('SecDiskFull', { severity: 'warning' });
    await click(REQUESTER, { channel: ALERT_CHANNEL, messageTs: alert.replyTs, threadTs: alert.postTs }, 'alert_silence', alert.alertId);
    const why = await answer(/This silence needs an approval/);
    expect(String(why.args.text)).toContain('it would silence 2 alerts that are active now, not just this one');
    const approval = await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === ALERT_CHANNEL && c.args.thread_ts === alert.postTs && String(c.args.text).startsWith('Approval needed'),
      10_000,
    );
    expect(JSON.stringify(approval.args.blocks)).toMatch(/high/);
    expect(await silencesOf('SecDiskFull')).toEqual([]);

    const approvalTs = (approval.response as { ts: string }).ts;
    const approve = buttonValue(approval, 'remediation_approve');
    // Anyone but the requester is not enough for high risk: only the responders group.
    await click(SECOND, { channel: ALERT_CHANNEL, messageTs: approvalTs, threadTs: alert.postTs }, 'remediation_approve', approve);
    await answer(/You are not an approver/);
    expect(await silencesOf('SecDiskFull')).toEqual([]);

    await click(RESPONDER, { channel: ALERT_CHANNEL, messageTs: approvalTs, threadTs: alert.postTs }, 'remediation_approve', approve);
    await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === alert.postTs && String(c.args.text).includes(`succeeded (approved by <@${RESPONDER}>)`),
      20_000,
    );
    const [made] = await silencesOf('SecDiskFull');
    expect(made?.createdBy).toBe(`incident-bot (requested by ${REQUESTER}, approved by ${RESPONDER})`);
    expect(made?.matchers.map((m) => `${m.name}=${m.value}`).sort()).toEqual(['alertname=SecDiskFull', 'severity=warning']);
    expect(s.slack.unknownMethods).toEqual([]);
  }, 45_000);

  it('a silence of exactly this one (non-P0) alert is made at once, with its full label set, and audited', async () => {
    await alertmanager.postAlerts([{ labels: { alertname: 'SecOneDisk', severity: 'warning', instance: 'disk-c' } }]);
    const alert = await alertInChannel('SecOneDisk', { severity: 'warning', instance: 'disk-c' });
    await click(REQUESTER, { channel: ALERT_CHANNEL, messageTs: alert.replyTs, threadTs: alert.postTs }, 'alert_silence', alert.alertId);
    await s.slack.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === alert.postTs && String(c.args.text).includes('silenced for 1 h'),
      10_000,
    );
    const [made] = await silencesOf('SecOneDisk');
    expect(made?.matchers.map((m) => `${m.name}=${m.value}`).sort()).toEqual([
      'alertname=SecOneDisk',
      'instance=disk-c',
      'severity=warning',
    ]);
    const audit = (
      await s.pg.query<{ actor: string; data: { matchers: unknown[] } }>(
        `SELECT actor, data FROM audit_log WHERE action = 'alert.silenced' AND subject = $1`,
        [`alert:${alert.alertId}`],
      )
    ).rows;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe(REQUESTER);
    expect(audit[0]!.data.matchers).toHaveLength(3);
  }, 30_000);
});

/** High risk never falls back to "anyone but the requester": with no approvers configured it cannot be approved. */
describe('high-risk remediations without configured approvers', () => {
  let alertmanager: RunningAlertmanager;
  let drop: () => Promise<void>;
  let service: ReturnType<typeof makeService>['service'];

  beforeAll(async () => {
    alertmanager = await startAlertmanager();
    const database = await createMigratedDatabase('security_unapprovable');
    drop = async () => {
      await database.db.close();
      await database.drop();
    };
    ({ service } = makeService(database.db, {
      targets: { am: { name: 'am', kind: 'alertmanager', values: { url: alertmanager.url }, missing: [] } },
    }));
  }, 60_000);

  afterAll(async () => {
    await drop?.();
    await alertmanager?.stop();
  });

  const silence = {
    action: 'alertmanager.silence',
    id: 'silence-all',
    title: 'Silence the workers',
    risk: 'high',
    target: 'am',
    params: { matchers: { job: 'workers' }, duration: '1h' },
  };

  it('is refused at request time, saying which variable to set', async () => {
    const r = await service.request({ declaration: silence, requestedBy: 'U0ONCALL01' });
    expect(r).toMatchObject({ kind: 'refused', reason: expect.stringContaining('set REMEDIATION_APPROVERS_HIGH') });
    expect(await service.listAudit('none')).toEqual([]);
  });

  it('with a declared approver group, a user outside it cannot approve', async () => {
    const r = await service.request({
      declaration: { ...silence, approvers: { usergroups: ['S0RESPONDERS'] } },
      requestedBy: 'U0ONCALL01',
    });
    if (r.kind !== 'created') throw new Error(`expected a request, got ${r.kind}`);
    expect(await service.approve(r.request.id, 'U0ONCALL02', [])).toMatchObject({ kind: 'not_approver', rule: 'not_listed' });
    expect(await service.approve(r.request.id, 'U0RESP0001', ['S0RESPONDERS'])).toMatchObject({ kind: 'ran', outcome: 'succeeded' });
  });
});
