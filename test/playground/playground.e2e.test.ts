import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLogger } from '../../src/logger';
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

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/start-services.sh does it)`);
    await mkdir(ARTIFACTS, { recursive: true });
    dataDir = await mkdtemp(path.join(tmpdir(), 'playground-e2e-'));
    playground = await startPlayground({
      port: 0,
      dataDir,
      logger: createLogger({ level: 'warn' }),
      commandsDir: path.join(ROOT, 'commands'),
      templatesDir: path.join(ROOT, 'templates'),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
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
  const thread = () => page.locator('#thread-pane');

  test('an alert from the menu gets the bot\'s threaded reply with buttons', async () => {
    await page.click('#alert-menu-button');
    await page.click('[data-alert="StuckDetected"]');

    const alertPost = page.locator('#messages .message', { hasText: '[FIRING:1] StuckDetected' });
    await alertPost.waitFor();
    await expectText(alertPost, 'Alertmanager');
    await alertPost.locator('.thread-summary', { hasText: '1 reply' }).click();

    const reply = thread().locator('.message', { hasText: 'P1 (high)' });
    await reply.waitFor();
    await expectText(reply, 'StuckDetected');
    for (const label of ['Acknowledge', 'Diagnose', 'Open incident', 'Silence 1 h']) {
      await reply.locator('.bk-button', { hasText: label }).waitFor();
    }
    await shot('01-alert-thread');
  });

  test('Acknowledge changes the bot\'s message in place', async () => {
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
    await page.screenshot({ path: path.join(ROOT, 'docs', 'playground.png') });
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

  test('what people type is escaped, never interpreted as HTML', async () => {
    await send('<img src=x onerror="window.__pwned=1"> *bold* <b>not bold</b>');
    const mine = page.locator('#messages .message', { hasText: 'onerror' });
    await mine.waitFor();
    expect(await mine.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  async function send(text: string): Promise<void> {
    await page.fill('#composer-input', text);
    await page.press('#composer-input', 'Enter');
  }
});

async function expectText(locator: import('playwright-core').Locator, text: string): Promise<void> {
  expect(await locator.innerText()).toContain(text);
}
