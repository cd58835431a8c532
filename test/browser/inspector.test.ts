/**
 * The local inspector in a real Chromium, against a real local pipeline (DynamoDB Local, fauxqs,
 * the unchanged handlers): what a developer sees after `npm start`, send by send. The tests run
 * in order on one page, as a developer's session would.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Browser, Locator, Page } from 'playwright-core';
import { runCli } from '../../cli/index.ts';
import { signDelivery } from '../../dev/deliveries.ts';
import type { CliIo } from '../../dev/errors.ts';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';
import type { EventHandler, EventHandlers } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { DEMO_FAILURE_PREFIX } from '../../local/demo-failures.ts';
import { eventually, uniqueConnectionId } from '../e2e/pipeline-support.ts';
import { type InspectedPipeline, startInspectedPipeline } from '../support/inspector.ts';
import { collectPageErrors, launchChromium } from './chromium.ts';

/** What a demo failure's error says, up to its counts. */
const DEMO_FAILURE = `failing on purpose (local pipeline only): a connection id starting with ${DEMO_FAILURE_PREFIX}`;
/** Where the screenshot goes: `INSPECTOR_SCREENSHOT=docs/inspector.png` refreshes the README's. */
const SCREENSHOT = process.env.INSPECTOR_SCREENSHOT?.trim() || join(tmpdir(), 'ofauth-inspector.png');
/** Per test: Chromium and the pipeline share a busy machine. */
const TEST_TIMEOUT_MS = 90_000;
/**
 * How long a step of the pipeline may take to show (processing, a retry after the 1 s visibility
 * timeout, the dead-letter queue, a replay): a bound for a busy shared machine, not a speed claim.
 */
const PIPELINE_STEP_WITHIN_MS = 30_000;
/** The promise: a CLI send shows up this fast. */
const ROW_APPEARS_WITHIN_MS = 2_000;

/** A few conditional writes and reads on a table, the calls the verifier's ledger makes. */
async function warmUp(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 3; i += 1) {
    const Key = { id: { S: `warm-up-${i}` } };
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: Key,
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
    await dynamodb.send(new GetItemCommand({ TableName: tableName, Key, ConsistentRead: true }));
    await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key }));
  }
}

describe('the local inspector, in Chromium', () => {
  let inspected: InspectedPipeline;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  /** Every request the page made, as `METHOD /path`. */
  const requests: string[] = [];
  /** Every connection event a handler ran for. */
  const handled: Array<{ eventId: string; connectionId?: string; replay: boolean }> = [];
  const ids = {
    sent: uniqueConnectionId('sent'),
    tampered: uniqueConnectionId('tampered'),
    // The local pipeline fails it on purpose for its first maxReceiveCount runs, as docs/inspector.md shows.
    failing: `${DEMO_FAILURE_PREFIX}${randomUUID().slice(0, 8)}`,
    fromPage: uniqueConnectionId('page'),
    poison: uniqueConnectionId('poison'),
  };

  /** The pipeline's handler, recording each run. */
  const recorded =
    <E extends RealtimeEvent>(handler: EventHandler<E>): EventHandler<E> =>
    async (event, context) => {
      handled.push({ eventId: context.eventId, connectionId: event.connectionId, replay: context.replay });
      await handler(event, context);
    };

  beforeAll(async () => {
    // GIVEN the local pipeline's own handlers (demo_fail_ connections failing on purpose), recorded,
    // a 1 s visibility timeout and 2 receives before the dead-letter queue, and the inspector open
    // in Chromium at 1280 px
    inspected = await startInspectedPipeline({
      maxReceiveCount: 2,
      visibilityTimeoutSeconds: 1,
      processor: (module, defaults) => {
        // The pipeline always passes its whole handler map: the app's, with its demo failures.
        const handlers = defaults.handlers as EventHandlers;
        return module.createProcessorHandler({
          ...defaults,
          handlers: {
            ...handlers,
            'connection.created': recorded(handlers['connection.created']),
            'connection.updated': recorded(handlers['connection.updated']),
          },
        });
      },
    });
    // DynamoDB Local answers its first writes slowly while Java warms up; on a busy machine that can
    // outlast the verifier's 1 s SDK timeout, so warm it as a developer's idle pipeline would be.
    await warmUp(inspected.pipeline.clients.dynamodb, inspected.pipeline.resources.ledgerTableName);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectPageErrors(page);
    page.on('request', (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
    await page.goto(inspected.pageUrl);
    await page.locator('#live.on').waitFor();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await inspected?.stop();
  });

  /** Runs `npm run cli -- send …` against the pipeline; its exit code, and its output should it fail. */
  async function cliSend(...args: string[]): Promise<number> {
    let output = '';
    const io: CliIo = {
      stdout: { write: (text: string) => (output += text) },
      stderr: { write: (text: string) => (output += text), isTTY: false },
      env: { OFAUTH_WEBHOOK_SECRET: inspected.pipeline.secrets.values[0] },
    };
    const code = await runCli(['send', ...args, '--url', inspected.pipeline.url], io);
    if (code !== 0 && !args.includes('--tamper'))
      process.stderr.write(`cli send ${args.join(' ')}: ${output}\n`);
    return code;
  }

  const row = (text: string): Locator => page.locator('#deliveries tbody tr', { hasText: text });
  const visibleRows = (): Locator => page.locator('#deliveries tbody tr:not([hidden])');
  const detail = (): Locator => page.locator('#detail');
  /** Opens a row, and waits until the detail shows it (not the one open before). */
  async function open(text: string): Promise<void> {
    await row(text).click();
    await detail()
      .locator(`[data-delivery-id="${await row(text).getAttribute('data-id')}"]`)
      .waitFor();
  }

  it(
    'says how to send a first event while there are no deliveries',
    async () => {
      const empty = page.locator('#deliveries-empty');
      expect(await empty.isVisible()).toBe(true);
      expect(await empty.textContent()).toContain(
        `npm run cli -- send connection.created --url ${inspected.pipeline.url}`,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'shows a CLI send within 2 s with its answer, scheme and type, then its event processed',
    async () => {
      // WHEN the CLI sends connection.created for a connection of our own
      const started = performance.now();
      const sending = cliSend(
        'connection.created',
        '--connection',
        ids.sent,
        '--client-reference',
        'user_browser',
      );
      // THEN its row appears within 2 s, answered 202 over OFAuth-Signature
      await row(ids.sent).waitFor({ timeout: ROW_APPEARS_WITHIN_MS });
      expect(performance.now() - started).toBeLessThan(ROW_APPEARS_WITHIN_MS);
      expect(await sending).toBe(0);
      const text = await row(ids.sent).textContent();
      expect(await row(ids.sent).locator('[data-status]').textContent()).toBe('202');
      expect(text).toContain('ofauth');
      expect(text).toContain('connection.created');
      // AND the empty state is gone, and the row turns processed when the handler has run
      expect(await page.locator('#deliveries-empty').isHidden()).toBe(true);
      await row(ids.sent).locator('[data-fate="processed"]').waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'shows a tampered send as 401 invalid_signature, with no fate',
    async () => {
      expect(await cliSend('connection.updated', '--connection', ids.tampered, '--tamper')).toBe(1);
      await row(ids.tampered).waitFor({ timeout: ROW_APPEARS_WITHIN_MS });
      const text = await row(ids.tampered).textContent();
      expect(await row(ids.tampered).locator('[data-status]').textContent()).toBe('401');
      expect(text).toContain('invalid_signature');
      expect(await row(ids.tampered).locator('[data-fate]').count()).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'shows a failing handler’s retries, then the dead-letter state, with the handler’s error and log line',
    async () => {
      // WHEN an event arrives for a demo_fail_ connection, whose handler fails on purpose
      expect(await cliSend('connection.updated', '--connection', ids.failing)).toBe(0);
      // THEN its row shows it retrying, then dead-lettered
      const failed = row(ids.failing);
      await failed.locator('[data-fate="retrying"]').waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      await failed.locator('[data-fate="dead-letter"]').waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      // AND its detail shows both attempts, each failed with the handler's error, then the dead-letter queue
      await open(ids.failing);
      await detail().locator('li[data-kind="dead-letter"]').waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      const attempts = detail().locator('li[data-kind="attempt"][data-outcome="failed"]');
      expect(await attempts.count()).toBe(2);
      expect(await attempts.nth(0).textContent()).toContain(
        'received again after the visibility timeout (1 s)',
      );
      expect(await attempts.nth(1).textContent()).toContain('that was its last receive');
      expect(await attempts.nth(0).locator('.logs li').first().textContent()).toContain(
        `ERROR event failed  DemoFailureError: ${DEMO_FAILURE} fails its first 2 runs; this was run 1 (demo-failures.ts:`,
      );
      expect(await detail().textContent()).toContain(
        `${DEMO_FAILURE} fails its first 2 runs; this was run 2`,
      );
      // AND the dead-letter queue lists it with that reason
      await page.click('#tab-dead-letters');
      const dead = page.locator('#dead-letters tbody tr', { hasText: ids.failing });
      await dead.waitFor({ timeout: 5_000 });
      expect(await dead.locator('.reason').textContent()).toBe(
        `failed 2 receives (maxReceiveCount), then moved by SQS; last error: event failed: ${DEMO_FAILURE} fails its first 2 runs; this was run 2`,
      );
      expect(await dead.getAttribute('data-source')).toBe('redrive-policy');
      expect(await page.locator('#count-dead-letters').textContent()).toBe('1');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'redrives the dead-letter queue from the page, and the event is processed',
    async () => {
      // GIVEN the demo connection's event, which goes through once it has failed maxReceiveCount times
      // WHEN Redrive is pressed
      await page.click('#redrive');
      // THEN the queue empties and the event goes through, its timeline showing the redrive
      await page.locator('#redrive-result', { hasText: 'moved 1 message back to the event queue' }).waitFor();
      await page.locator('#dead-letters-empty').waitFor({ state: 'visible' });
      await page.click('#tab-deliveries');
      await row(ids.failing).locator('[data-fate="processed"]').waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      await detail().locator('li[data-kind="redriven"]').waitFor();
      await detail().locator('li[data-kind="attempt"][data-outcome="processed"]').waitFor();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'replays an event from the page: the handler runs again with replay: true',
    async () => {
      // GIVEN the processed connection.created event open
      await open(ids.sent);
      const original = handled.find((run) => run.connectionId === ids.sent)!;
      expect(original.replay).toBe(false);
      // WHEN Replay is pressed
      await detail().locator('[data-action="replay"]').click();
      await detail().locator('output', { hasText: 'replayed connection.created' }).waitFor();
      // THEN the handler runs for the same event id with replay: true, and the page shows the replay
      const replayed = await eventually(
        () => handled.find((run) => run.connectionId === ids.sent && run.replay),
        15_000,
        'the handler to run for the replay',
      );
      expect(replayed.eventId).toBe(original.eventId);
      await detail()
        .locator('li[data-kind="attempt"]', { hasText: 'Attempt 2 (replay): processed' })
        .waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      await detail().locator('li[data-kind="replayed"]').waitFor();
      expect(await row(ids.sent).locator('[data-fate="processed"]').count()).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'sends a signed example from the page, and shows the registry, its tombstones and the Dynamic Rules revision',
    async () => {
      // WHEN connection.created is sent from the page over Svix for a new connection, and rules.updated by the CLI
      await page.selectOption('#send-type', 'connection.created');
      await page.selectOption('#send-scheme', 'svix');
      await page.fill('#send-connection', ids.fromPage);
      await page.click('#send-button');
      await page.locator('#send-result', { hasText: '202' }).waitFor();
      expect(await cliSend('rules.updated')).toBe(0);
      // THEN its row shows the Svix scheme
      await row(ids.fromPage).waitFor({ timeout: ROW_APPEARS_WITHIN_MS });
      expect(await row(ids.fromPage).textContent()).toContain('svix');
      // AND the Connections view shows both connections and the rules' revision
      await page.click('#tab-connections');
      const registered = page.locator(`#connections tr[data-connection="${ids.sent}"]`);
      await registered.waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      expect(await registered.textContent()).toContain('user_browser');
      expect(await registered.textContent()).toContain('active');
      await page
        .locator(`#connections tr[data-connection="${ids.fromPage}"]`)
        .waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      await page
        .locator('#rules [data-field="revision"]', { hasText: '202401151030-a1b2c3' })
        .waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      // WHEN the page's connection is disconnected
      expect(await cliSend('connection.disconnected', '--connection', ids.fromPage)).toBe(0);
      // THEN it stays in the registry as a tombstone
      const tombstone = page.locator(`#connections tr.tombstone[data-connection="${ids.fromPage}"]`);
      await tombstone.waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      expect(await tombstone.textContent()).toContain('disconnectedtombstone since');
      await page.click('#tab-deliveries');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'filters by type, connection and status',
    async () => {
      const texts = async () => visibleRows().allTextContents();
      await page.selectOption('#filter-status', 'rejected');
      expect(await texts()).toEqual([expect.stringContaining('invalid_signature')]);
      await page.selectOption('#filter-status', '');
      await page.selectOption('#filter-type', 'rules.updated');
      expect(await texts()).toEqual([expect.stringContaining('rules.updated')]);
      await page.selectOption('#filter-type', '');
      await page.fill('#filter-connection', ids.failing);
      expect(await texts()).toEqual([expect.stringContaining(ids.failing)]);
      await page.fill('#filter-connection', 'no-such-connection');
      expect(await page.locator('#deliveries-filtered').isVisible()).toBe(true);
      await page.fill('#filter-connection', '');
      expect(await visibleRows().count()).toBe(6);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'works from the keyboard: Tab reaches the rows, arrows move, Enter opens; arrows switch views',
    async () => {
      // WHEN Tab leaves the last filter, ArrowDown moves one row and Enter opens it
      await page.focus('#filter-status');
      await page.keyboard.press('Tab');
      const firstId = await page.locator(':focus').getAttribute('data-id');
      expect(firstId).toBe(await visibleRows().first().getAttribute('data-id'));
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      // THEN the second row is selected and its detail is open
      const second = visibleRows().nth(1);
      expect(await second.getAttribute('aria-selected')).toBe('true');
      await detail()
        .locator(`[data-delivery-id="${await second.getAttribute('data-id')}"]`)
        .waitFor();
      // WHEN ArrowRight is pressed on the selected tab
      await page.focus('#tab-deliveries');
      await page.keyboard.press('ArrowRight');
      // THEN the Connections view shows, and ArrowLeft brings the deliveries back
      expect(await page.locator('#view-connections').isVisible()).toBe(true);
      expect(await page.locator(':focus').getAttribute('id')).toBe('tab-connections');
      await page.keyboard.press('ArrowLeft');
      expect(await page.locator('#view-deliveries').isVisible()).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'reads at 1280 px and in a narrow window without sideways scrolling (and saves the screenshot)',
    async () => {
      // GIVEN the event that failed, was dead-lettered, redriven and processed, open at 1280 px
      await open(ids.failing);
      await detail().locator('li[data-kind="redriven"]').waitFor();
      // Every column of the list is in view beside the detail, none scrolled off to the right.
      const listFits = () =>
        page.evaluate<boolean>(
          "(() => { const list = document.querySelector('.list'); return list.scrollWidth <= list.clientWidth; })()",
        );
      const fitsWidth = () =>
        page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
      expect(await fitsWidth()).toBe(true);
      expect(await listFits()).toBe(true);
      await page.setViewportSize({ width: 1280, height: 1000 });
      await page.screenshot({ path: SCREENSHOT });
      await page.setViewportSize({ width: 420, height: 900 });
      expect(await listFits()).toBe(true);
      expect((await stat(SCREENSHOT)).size).toBeGreaterThan(20_000);
      // WHEN the window is narrow
      await page.setViewportSize({ width: 420, height: 900 });
      // THEN nothing scrolls sideways, the secondary columns step aside and the detail follows the list
      expect(await fitsWidth()).toBe(true);
      expect(await page.locator('#deliveries th.wide').first().isHidden()).toBe(true);
      const [list, panel] = await Promise.all([page.locator('.list').boundingBox(), detail().boundingBox()]);
      expect(panel!.y).toBeGreaterThan(list!.y + list!.height - 1);
      await page.setViewportSize({ width: 1280, height: 900 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'never shows the signing secret',
    async () => {
      const secret = inspected.pipeline.secrets.values[0]!;
      const html = await page.content();
      expect(html).not.toContain(secret);
      expect(html).not.toContain(secret.replace(/^whsec_/, ''));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'shows a poison event as dead-lettered by the processor at once, live, apart from a body the verifier kept',
    async () => {
      // GIVEN a signed connection.created whose connection.status is 42: its data fails the schema
      const example = JSON.parse(
        await readFile(join(REPO_ROOT, 'examples', 'events', 'connection.created.json'), 'utf8'),
      ) as { data: { connection: Record<string, unknown> } };
      example.data.connection = { ...example.data.connection, id: ids.poison, status: 42 };
      const file = join(await mkdtemp(join(tmpdir(), 'poison-')), 'poison.json');
      await writeFile(file, JSON.stringify(example));
      await page.click('#tab-deliveries');
      // WHEN the CLI sends it (the verifier accepts it: its signature and envelope are fine)
      expect(await cliSend(file)).toBe(0);
      // THEN, without a reload, its row turns dead-letter, never processed
      const poisoned = row(ids.poison);
      await poisoned.locator('[data-fate="dead-letter"]').waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      // AND its detail shows its one attempt rejected with the processor's reason, then the dead-letter queue
      await open(ids.poison);
      const rejected = detail().locator('li[data-kind="attempt"][data-outcome="rejected"]');
      await rejected.waitFor();
      expect(await rejected.textContent()).toContain('rejected by the processor: invalid_data');
      expect(await rejected.textContent()).toContain('the processor put it on the dead-letter queue at once');
      expect(await detail().locator('li[data-kind="attempt"][data-outcome="processed"]').count()).toBe(0);
      await detail().locator('li[data-kind="dead-letter"]').waitFor();
      // AND the dead-letter queue lists it as the processor's, live
      await page.click('#tab-dead-letters');
      const fromProcessor = page.locator('#dead-letters tbody tr[data-source="processor"]', {
        hasText: ids.poison,
      });
      await fromProcessor.waitFor({ timeout: 5_000 });
      const reason = await fromProcessor.locator('.reason').textContent();
      expect(reason).toContain('rejected by the processor: invalid_data');
      expect(reason).not.toContain('verifier');
      // WHEN a signed body that is no event at all (no type) arrives
      const { body, headers } = signDelivery(JSON.stringify({ data: { note: ids.poison } }), {
        scheme: 'ofauth',
        secret: inspected.pipeline.secrets.values[0]!,
        timestamp: Math.floor(Date.now() / 1000),
        tamper: false,
      });
      const answer = await fetch(inspected.pipeline.url, { method: 'POST', headers, body });
      expect(answer.status).toBe(422);
      // THEN the dead-letter queue lists it too, as the verifier's, beside the processor's
      const fromVerifier = page.locator('#dead-letters tbody tr[data-source="verifier"]');
      await fromVerifier.waitFor({ timeout: 5_000 });
      expect(await fromVerifier.locator('.reason').textContent()).toBe(
        'rejected by the verifier: missing_event_type',
      );
      expect(await page.locator('#count-dead-letters').textContent()).toBe('2');
      // AND its Open button shows the delivery the verifier answered 422
      await fromVerifier.locator('button', { hasText: 'Open' }).click();
      await detail().locator('h3', { hasText: 'Answer · 422' }).waitFor({ timeout: 5_000 });
      await page.click('#tab-deliveries');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'lists in the Published tab each event whose handler succeeded, once (its replay unasked not again), and no poison event',
    async () => {
      // GIVEN the connection.created sent first (processed, then replayed from the page without
      // publishing) and the poison event (dead-lettered)
      const original = handled.find((run) => run.connectionId === ids.sent && !run.replay);
      expect(original).toBeDefined();
      // WHEN the Published tab is opened
      await page.click('#tab-published');
      const published = (text: string): Locator => page.locator('#published tbody tr', { hasText: text });
      // THEN it lists the first event once, under its event key, with its type and no replay mark
      await published(ids.sent).first().waitFor({ timeout: PIPELINE_STEP_WITHIN_MS });
      expect(await published(ids.sent).count()).toBe(1);
      expect(await published(ids.sent).getAttribute('data-event-key')).toBe(original!.eventId);
      const text = await published(ids.sent).textContent();
      expect(text).toContain('connection.created');
      expect(text).not.toContain('replay');
      // AND not the poison event, and the tab's count is its rows'
      expect(await published(ids.poison).count()).toBe(0);
      const rows = await page.locator('#published tbody tr').count();
      expect(await page.locator('#count-published').textContent()).toBe(String(rows));
      expect(await page.locator('#published-empty').isHidden()).toBe(true);
      await page.click('#tab-deliveries');
    },
    TEST_TIMEOUT_MS,
  );

  it('got its lists over one event stream, without polling', () => {
    // Lists are pushed: the page fetched its files, one stream, the details it opened and its actions.
    expect(requests.filter((request) => request === 'GET /api/stream')).toHaveLength(1);
    const other = requests.filter(
      (request) =>
        !/^GET \/(inspector\.(js|css))?$/.test(request) &&
        request !== 'GET /api/stream' &&
        !/^GET \/api\/deliveries\/[^/]+$/.test(request) &&
        !/^POST \/api\/(send|dead-letters\/redrive|deliveries\/[^/]+\/replay)$/.test(request),
    );
    expect(other).toEqual([]);
    expect(requests.filter((request) => request.startsWith('POST '))).toHaveLength(3);
  });

  it(
    'had no console errors, uncaught exceptions or failed requests',
    () => {
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
