import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { createLogger } from '../../src/logger';
import { capturedLog, watchBotLog } from '../support/listener-errors';
import { startPlayground, type Playground } from '../../src/playground';

const ROOT = path.join(__dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'playground');
const CHROMIUM = '/usr/bin/chromium';

/**
 * The playground in a real browser (Debian's chromium, driven by playwright-core): everything a person does on the
 * page travels as a signed Slack request into the real Bolt receiver, and what the bot sends back through the
 * emulator shows on the page by server-sent events.
 */
describe('playground in a browser', () => {
  let playground: Playground;
  let browser: Browser;
  let page: Page;
  let dataDir: string;

  const log = capturedLog();
  watchBotLog('playground', log.text);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/start-services.sh does it)`);
    await mkdir(ARTIFACTS, { recursive: true });
    dataDir = await mkdtemp(path.join(tmpdir(), 'playground-e2e-'));
    playground = await startPlayground({
      port: 0,
      dataDir,
      logger: createLogger({ level: 'warn', destination: log }),
      commandsDir: path.join(ROOT, 'commands'),
      templatesDir: path.join(ROOT, 'templates'),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(15_000);
    await page.goto(`${playground.url}?user=U0ONCALL01`);
    await page.locator('#connection.live').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await playground?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  // The README's pictures are refreshed only on request, so a test run leaves the checkout as it found it.
  const docsShot = (name: string) =>
    process.env.UPDATE_DOCS_SCREENSHOTS === '1' ? page.screenshot({ path: path.join(ROOT, 'docs', name) }) : shot(name.replace('.png', ''));
  const thread = () => page.locator('#thread-pane');

  test("an alert from the menu gets the bot's threaded reply with buttons", async () => {
    await page.click('#alert-menu-button');
    await page.click('[data-alert="StuckDetected"]');

    const alertPost = page.locator('#messages .message', { hasText: '[FIRING:1] StuckDetected' });
    await alertPost.waitFor();
    await expectText(alertPost, 'Alertmanager');
    await alertPost.locator('.thread-summary', { hasText: '1 reply' }).click();

    const reply = thread().locator('.message', { hasText: 'P1 (high)' });
    await reply.waitFor();
    await expectText(reply, 'StuckDetected');
    for (const label of ['Acknowledge', 'Diagnose', 'Open incident']) {
      await reply.locator('.bk-button', { hasText: label }).waitFor();
    }
    // ALERTMANAGER_URL is not set in the playground: Silence is not offered rather than failing when clicked.
    expect(await reply.locator('.bk-button', { hasText: 'Silence 1 h' }).count()).toBe(0);
    await shot('01-alert-thread');
  });

  test("Acknowledge changes the bot's message in place", async () => {
    const reply = thread().locator('.message', { hasText: 'P1 (high)' });
    await reply.locator('.bk-button', { hasText: 'Acknowledge' }).click();
    // chat.update arrives over SSE: the text changes and the button is gone.
    await reply.locator('text=/Acknowledged.* by @alice/').waitFor();
    expect(await reply.locator('.bk-button', { hasText: 'Acknowledge' }).count()).toBe(0);
    expect(await reply.locator('.edited').count()).toBe(1);
    await shot('02-acknowledged');
  });

  test('/incident diagnose shows probe results from the demo targets', async () => {
    await page.click('#thread-close');
    await send('/incident diagnose StuckDetected agent=agent-7');
    const stuck = page.locator('#messages .message', { hasText: 'Diagnosis: StuckDetected' });
    await stuck.locator('text=Stuck agents (stream monitor)').waitFor();
    // Its probes need Prometheus and Redis, which the playground does not run: they say so.
    await stuck.locator('text=/not configured: set PROMETHEUS_URL/').first().waitFor();
    await shot('03-diagnose-stuck-detected');

    await send('/incident diagnose WorkerDown worker=worker-7');
    const worker = page.locator('#messages .message', { hasText: 'Diagnosis: WorkerDown' });
    await worker.locator('text=Likely causes').waitFor();
    // Real results from the demo files: worker-7's stuck tasks and stale lock, its log errors, its metrics endpoint.
    await expectText(worker, 'stuck: task-worker-7-42.json');
    await expectText(worker, 'stale lock: worker-7_task-42.lock');
    await expectText(worker, 'BrokenPipeError');
    await expectText(worker, 'Deadlock in task processing');
    await worker.locator('.bk-button', { hasText: 'Request: Move all active tasks back to pending (clean recovery)' }).waitFor();
    // The mrkdwn is rendered, not shown raw: emoji shortcodes become emoji, *bold* becomes <b>.
    expect(await worker.locator('b', { hasText: 'Tasks and locks (deadlock check)' }).count()).toBeGreaterThan(0);
    expect(await worker.innerText()).not.toContain(':large_yellow_circle:');
    await worker.scrollIntoViewIfNeeded();
    await shot('04-diagnose-worker-down');
    await docsShot('playground.png');
  });

  test('/incident open with no arguments opens the modal; submitting it opens an incident', async () => {
    await send('/incident open');
    const modal = page.locator('.modal[role="dialog"]');
    await modal.waitFor();
    await expectText(modal, 'Open an incident');
    await modal.locator('input.bk-input').first().fill('Worker-7 stuck: tasks not progressing');
    await modal.locator('select.bk-input').first().selectOption('P1');
    await shot('05-modal');
    await modal.locator('.modal-submit').click();
    await modal.waitFor({ state: 'detached' });

    const notification = page.locator('#messages .message', { hasText: 'Worker-7 stuck: tasks not progressing' });
    await notification.waitFor();
    await expectText(notification, 'INC-');
    await shot('06-incident-opened');
  });

  test('the incident has its own channel, with topic, roles and Take command; the hub shows its summary', async () => {
    const link = page.locator('#messages .message', { hasText: 'has its own channel' }).last();
    await link.waitFor();
    await link.locator('button.mention', { hasText: '#inc-' }).click();
    await page.locator('#channel-name', { hasText: '# inc-' }).waitFor();
    await expectText(page.locator('#channel-name'), 'worker-7-stuck-tasks-not-progressing');
    await page.locator('#channel-topic', { hasText: 'P1 · open · Lead: —' }).waitFor();
    const notification = page.locator('#messages .message', { hasText: 'Worker-7 stuck: tasks not progressing' }).first();
    await expectText(notification, 'INC-');
    const intro = page.locator('#messages .message', { hasText: 'Incident room for' });
    await intro.locator('.bk-button', { hasText: 'Take command' }).click();
    await page.locator('#channel-topic', { hasText: 'Lead: @alice' }).waitFor();
    await shot('07-incident-channel');
    await docsShot('playground-incident-channel.png');

    await page.locator('.channel-link', { hasText: '# incident-hub' }).click();
    await page.locator('#channel-name', { hasText: '# incident-hub' }).waitFor();
    const summary = page.locator('#messages .message', { hasText: 'Worker-7 stuck: tasks not progressing' });
    await summary.locator('text=/Commander: @alice/').waitFor();
    expect(await page.locator('#messages .message').count()).toBe(1);
    await shot('08-incident-hub');
    await page.locator('.channel-link', { hasText: '# incidents' }).first().click();
    await page.locator('#channel-name', { hasText: /^# incidents$/ }).waitFor();
  });

  test('what people type is escaped, never interpreted as HTML', async () => {
    await send('<img src=x onerror="window.__pwned=1"> *bold* <b>not bold</b>');
    const mine = page.locator('#messages .message', { hasText: 'onerror' });
    await mine.waitFor();
    expect(await mine.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  test('a typo is answered with code that renders, scrolled into view; a dismissed answer stays dismissed after a reload', async () => {
    await page.click('#thread-close').catch(() => undefined);
    // Scroll away from the bottom first: the answer to your own command is brought into view anyway.
    await page.$eval('#messages', (m) => (m.scrollTop = 0));
    await send('/incident diagnos WorkerDown');
    const answer = page.locator('#messages .message.ephemeral', { hasText: 'is not an /incident subcommand' }).last();
    await answer.waitFor();
    const text = await answer.innerText();
    expect(text).toContain('Did you mean /incident diagnose <AlertName> [label=value ...]?');
    expect(text).not.toContain('`');
    expect(await answer.locator('code', { hasText: '/incident diagnose <AlertName> [label=value ...]' }).count()).toBe(1);
    const inView = async () => {
      const list = (await page.locator('#messages').boundingBox())!;
      const box = (await answer.boundingBox())!;
      return box.y >= list.y - 1 && box.y < list.y + list.height;
    };
    for (let i = 0; i < 50 && !(await inView()); i++) await page.waitForTimeout(100);
    expect(await inView()).toBe(true);
    const ts = await answer.getAttribute('data-ts');
    await answer.locator('.link-button', { hasText: 'Dismiss' }).click();
    await page.reload();
    await page.locator('#connection.live').waitFor();
    await page.locator('#messages .message').first().waitFor();
    expect(await page.locator(`#messages .message[data-ts="${ts}"]`).count()).toBe(0);
  });

  test('every emoji shortcode the bot and its templates use is drawn, not shown raw', async () => {
    const names = new Set<string>();
    for (const file of await sourceFiles([path.join(ROOT, 'src'), path.join(ROOT, 'templates')])) {
      for (const m of (await readFile(file, 'utf8')).matchAll(/(?<![\w:{]):([a-z][a-z0-9_+-]*[a-z0-9]):(?![\w{])/g)) names.add(m[1]!);
    }
    expect(names.size).toBeGreaterThan(10);
    const raw = await page.evaluate(
      (list) => list.filter((n) => (globalThis as unknown as { BlockKit: { emoji(n: string): string } }).BlockKit.emoji(n) === `:${n}:`),
      [...names],
    );
    // Only identifiers from code (Redis key patterns such as stream:stuck:*), never an emoji the page lacks.
    expect(raw.filter((n) => !KNOWN_NON_EMOJI.includes(n))).toEqual([]);
  });

  test("the newcomer's path: alert → thread → diagnosis with remediations → request → own approval refused in the thread → Bob approves → resolve in the modal → post-mortem preview", async () => {
    await page.click('#thread-close').catch(() => undefined);
    await page.click('#alert-menu-button');
    await page.click('[data-alert="WorkerDown"]');
    const alertPost = page.locator('#messages .message', { hasText: '[FIRING:1] WorkerDown' });
    await alertPost.waitFor();
    await alertPost.locator('.thread-summary').click();

    // WorkerDown diagnoses itself in the thread; the remediations it offers are buttons beside readable text.
    const diagnosis = thread().locator('.message', { hasText: 'Diagnosis: WorkerDown' });
    await diagnosis.locator('text=Likely causes').waitFor({ timeout: 30_000 });
    const request = diagnosis.locator('.bk-button', { hasText: "Request: Remove all the worker's lock files (clean recovery)" });
    await request.waitFor();
    // The restart needs Docker, which the playground does not run: named, with no button.
    await expectText(diagnosis, 'not available here: needs DOCKER_HOST');
    expect(await diagnosis.locator('.bk-button', { hasText: 'Restart the worker container' }).count()).toBe(0);
    await expectReadableSections();
    await shot('07-thread-diagnosis');

    await request.click();
    const asked = thread().locator('.message', { hasText: 'Approval needed' }).filter({ hasText: 'lock files' });
    await asked.waitFor();
    // The same message is edited once decided: follow it by its ts.
    const approval = thread().locator(`.message[data-ts="${await asked.getAttribute('data-ts')}"]`);
    await approval.locator('.bk-button', { hasText: 'Approve' }).click();
    // Alice asked for it: her own approval is refused, and the answer is in the thread, only for her.
    const refusal = thread().locator('.message.ephemeral', { hasText: 'You are not an approver' });
    await refusal.waitFor();
    await expectText(refusal, 'Only visible to you');
    expect(await page.locator('#messages .message.ephemeral', { hasText: 'You are not an approver' }).count()).toBe(0);
    await shot('08-own-approval-refused-in-thread');

    await page.selectOption('#user-switcher', 'U0ONCALL02');
    await approval.locator('.bk-button', { hasText: 'Approve' }).click();
    await approval.locator('text=/Approved by @bob/').waitFor({ timeout: 30_000 });
    await thread()
      .locator('.message', {
        hasText: /Remove all the worker's lock files \(clean recovery\)\* (succeeded|failed)|(succeeded|failed) \(approved by @bob\)/,
      })
      .first()
      .waitFor({ timeout: 30_000 });
    await shot('09-approved-by-bob');

    // Open the incident from the alert and resolve it.
    const card = thread().locator('.message', { hasText: 'P1 (high)' }).filter({ hasText: 'WorkerDown' });
    await card.locator('.bk-button', { hasText: 'Open incident' }).click();
    await card.locator('text=/incident INC-\\d+/').waitFor();
    const incidentId = /INC-\d+/.exec(await card.innerText())![0];
    await page.click('#thread-close');
    // The incident has its own channel: it is resolved there, with its notification's Resolve button and the modal.
    await page.locator('.channel-link', { hasText: '# inc-' }).last().click();
    await page.locator('#channel-name', { hasText: '# inc-' }).waitFor();
    const withResolve = page
      .locator('#messages .message', { hasText: incidentId })
      .filter({ has: page.locator('.bk-button', { hasText: /^Resolve$/ }) })
      .first();
    // The notification is edited once resolved: follow it by its ts.
    const notification = page.locator(`#messages .message[data-ts="${await withResolve.getAttribute('data-ts')}"]`);
    await notification.locator('.bk-button', { hasText: /^Resolve$/ }).click();
    const modal = page.locator('.modal[role="dialog"]');
    await modal.waitFor();
    expect(await modal.locator('.modal-title').innerText()).toBe('Resolve incident');
    await expectText(modal, `Resolve ${incidentId}`);
    const rootCause = modal.locator('.bk-input-block', { hasText: 'Root cause' }).locator('textarea');
    const resolution = modal.locator('.bk-input-block', { hasText: 'Resolution' }).locator('textarea');
    expect(await rootCause.getAttribute('placeholder')).toBe('Why it happened, briefly');

    // As in Slack, the form itself stops an empty required field: nothing reaches the bot, the modal stays.
    await resolution.fill('Cleared the stale lock of worker-7');
    let submitted = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/submit')) submitted += 1;
    });
    await modal.locator('.modal-submit').click();
    expect(await rootCause.evaluate((n) => (n as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).toBe(true);
    expect(await modal.isVisible()).toBe(true);
    expect(submitted).toBe(0);

    // Blanks do reach the bot, which refuses them: its answer shows under the field, and what was typed stays.
    await rootCause.fill('   ');
    await modal.locator('.modal-submit').click();
    await modal.locator('.bk-error', { hasText: 'Give the root cause (what made it happen), even if provisional.' }).waitFor();
    expect(await resolution.inputValue()).toBe('Cleared the stale lock of worker-7');
    await rootCause.fill('A crashed worker left its lock file');
    await shot('10-resolve-modal');
    await modal.locator('.modal-submit').click();
    await modal.waitFor({ state: 'detached' });

    // The resolution is announced in the incident's channel with what was typed in the modal.
    const resolved = page
      .locator('#messages .message', { hasText: /RESOLVED: / })
      .filter({ hasText: incidentId })
      .last();
    await resolved.waitFor({ timeout: 20_000 });
    await expectText(resolved, 'Root Cause: A crashed worker left its lock file');
    await expectText(resolved, 'Resolution: Cleared the stale lock of worker-7');
    expect(submitted).toBe(2);
    await notification.locator('text=/Current Status: Resolved/').waitFor();
    expect(await notification.locator('.bk-button', { hasText: /^Resolve$/ }).count()).toBe(0);
    await resolved.locator('.bk-button', { hasText: 'Draft post-mortem' }).click();

    // The draft lands in the incident's thread: a card with a Markdown preview and a download link.
    const announcement = page
      .locator('#messages .message', { hasText: incidentId })
      .filter({ has: page.locator('.thread-summary') })
      .first();
    await announcement.locator('.thread-summary').click();
    const fileCard = thread().locator('.file-card', { hasText: incidentId }).first();
    await fileCard.waitFor({ timeout: 30_000 });
    await fileCard.locator('.file-preview .md').waitFor();
    const preview = await fileCard.locator('.file-preview').innerText();
    expect(preview).toContain(incidentId);
    expect(preview).toContain('Cleared the stale lock of worker-7');
    expect(await fileCard.locator('.file-preview h2').count()).toBeGreaterThan(0);
    const href = await fileCard.locator('a.file-download').getAttribute('href');
    const download = await page.evaluate(async (url) => {
      const r = await fetch(url!);
      return { status: r.status, disposition: r.headers.get('content-disposition'), body: await r.text() };
    }, href);
    expect(download.status).toBe(200);
    expect(download.disposition).toMatch(/^attachment; filename=".*\.md"$/);
    expect(download.body).toContain(incidentId);
    await fileCard.scrollIntoViewIfNeeded();
    await shot('11-postmortem-preview');
  }, 180_000);

  /** No section's text is squeezed by its accessory: every one is at least 120 px wide, thread pane open. */
  async function expectReadableSections(): Promise<void> {
    const widths = await page.$$eval('#thread-pane .bk-section-text, #messages .bk-section-text', (nodes) =>
      nodes.map((n) => ({ w: n.getBoundingClientRect().width, text: (n.textContent ?? '').slice(0, 60) })),
    );
    expect(widths.length).toBeGreaterThan(0);
    expect(widths.filter((x) => x.w < 120)).toEqual([]);
  }

  async function send(text: string): Promise<void> {
    await page.fill('#composer-input', text);
    await page.press('#composer-input', 'Enter');
  }
});

/** Shortcode-shaped identifiers in the code that are not emoji. */
const KNOWN_NON_EMOJI = ['stuck'];

async function sourceFiles(dirs: string[]): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const out: string[] = [];
  for (const dir of dirs) {
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && /\.(ts|md|txt)$/.test(e.name) && !e.parentPath.includes(`${path.sep}web`))
        out.push(path.join(e.parentPath, e.name));
    }
  }
  return out;
}

async function expectText(locator: import('playwright-core').Locator, text: string): Promise<void> {
  expect(await locator.innerText()).toContain(text);
}
