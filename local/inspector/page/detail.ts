/**
 * The detail of one delivery: its answer, what became of its event (enqueued → attempts with their
 * log lines → processed, retrying or dead-lettered; redrives and replays), its headers with the
 * signatures masked by the server, and its raw body pretty-printed.
 */
import type {
  ActionResult,
  AttemptView,
  DeliveryDetail,
  InspectorConfig,
  LogLine,
  TimelineEntry,
} from '../api-types.ts';
import { answerCell, fateBadge } from './deliveries.ts';
import { duration, h, pretty, statusText, timeElement } from './dom.ts';

function fact(term: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}

/** A logged error as Powertools prints it: name, message, location and stack. */
interface LoggedError {
  readonly name?: string;
  readonly message?: string;
  readonly location?: string;
  readonly stack?: string;
}

/** One log line: level, message and its own keys; an error by name and message, its stack folded. */
function logLine(line: LogLine): HTMLElement {
  const { error, ...rest } = line.fields as { error?: unknown };
  const fields = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
  const logged = error && typeof error === 'object' ? (error as LoggedError) : undefined;
  return h(
    'li',
    { class: `level-${line.level}` },
    `${line.level} ${line.message}${fields}`,
    typeof error === 'string' ? ` error: ${error}` : null,
    logged
      ? h(
          'div',
          { title: logged.location ?? '' },
          // The file and line; the full path is in the tooltip.
          `  ${logged.name ?? 'Error'}: ${logged.message ?? ''}${logged.location ? ` (${logged.location.split('/').pop()})` : ''}`,
        )
      : null,
    logged?.stack ? h('details', {}, h('summary', {}, 'stack'), logged.stack) : null,
  );
}

function attemptStep(attempt: AttemptView, config: InspectorConfig): HTMLElement {
  const receives = Number.isFinite(attempt.maxReceiveCount)
    ? `receive ${attempt.receiveCount} of ${attempt.maxReceiveCount}`
    : `receive ${attempt.receiveCount}`;
  const next =
    attempt.outcome === 'rejected'
      ? 'the processor put it on the dead-letter queue at once: a retry would fail the same way'
      : attempt.next === 'retry'
        ? `received again after the visibility timeout (${config.visibilityTimeoutSeconds} s)`
        : attempt.next === 'dead-letter'
          ? 'that was its last receive: SQS moves it to the dead-letter queue'
          : undefined;
  const outcome =
    attempt.outcome === 'skipped'
      ? 'skipped: an earlier message of its group failed in this batch'
      : attempt.outcome === 'rejected'
        ? 'rejected: its body can never become an event'
        : attempt.outcome;
  return h(
    'div',
    {},
    h('span', { class: 'step' }, `Attempt ${attempt.number}${attempt.replay ? ' (replay)' : ''}: ${outcome}`),
    h('span', { class: 'when' }, `${receives} · ${duration(attempt.durationMs)} · `, timeElement(attempt.at)),
    attempt.error ? h('div', { class: 'error' }, attempt.error) : null,
    next ? h('div', { class: 'muted' }, `→ ${next}`) : null,
    attempt.logs.length
      ? h(
          'ul',
          { class: 'logs', 'aria-label': `log lines of attempt ${attempt.number}` },
          ...attempt.logs.map(logLine),
        )
      : null,
  );
}

const ATTEMPT_TONE = {
  processing: 'info',
  processed: 'ok',
  failed: 'bad',
  skipped: 'warn',
  rejected: 'bad',
} as const;

function timelineItem(entry: TimelineEntry, detail: DeliveryDetail, config: InspectorConfig): HTMLElement {
  const step = (tone: string, title: string, extra?: Node | string | null) =>
    h(
      'li',
      { class: tone, 'data-kind': entry.kind },
      h('span', { class: 'step' }, title),
      h('span', { class: 'when' }, timeElement(entry.at)),
      extra ? h('div', { class: 'muted' }, extra) : null,
    );
  switch (entry.kind) {
    case 'received': {
      const tone = entry.status >= 200 && entry.status < 300 ? 'ok' : 'bad';
      const again = entry.deliveryId === detail.summary.id ? '' : ' again (another delivery)';
      const title = entry.duplicate
        ? `Received${again}: ${statusText(entry.status)}, a duplicate of an event already handed on`
        : `Received${again}: ${statusText(entry.status)}`;
      return step(tone, title);
    }
    case 'enqueued':
      return step(
        'info',
        'Enqueued on the event queue',
        entry.groupId ? `message group ${entry.groupId}` : null,
      );
    case 'attempt':
      return h(
        'li',
        {
          class: ATTEMPT_TONE[entry.attempt.outcome],
          'data-kind': 'attempt',
          'data-outcome': entry.attempt.outcome,
        },
        attemptStep(entry.attempt, config),
      );
    case 'dead-letter':
      return step('bad', 'On the dead-letter queue', 'redrive it from the Dead-letter queue tab');
    case 'redriven':
      return step('info', 'Redriven to the event queue');
    case 'replayed':
      return step('info', 'Replayed: put back on the queue with replay=true');
  }
}

/** Shows an action's result in an output element. */
export function showResult(output: HTMLOutputElement, result: ActionResult | undefined): void {
  output.className = result ? (result.ok ? 'ok' : 'bad') : '';
  output.textContent = result?.message ?? '';
}

/** The heading: type, fate, the Replay button and its last answer. */
function detailHead(
  detail: DeliveryDetail,
  replayResult: ActionResult | undefined,
  onReplay: (id: string) => void,
): HTMLElement {
  const { summary } = detail;
  const output = h('output', { 'aria-live': 'polite', 'data-result-for': summary.id });
  showResult(output, replayResult);
  const replay = detail.replayable
    ? h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'data-action': 'replay',
          title: 'Put this event back on the queue',
        },
        'Replay',
      )
    : null;
  replay?.addEventListener('click', () => onReplay(summary.id));
  return h(
    'div',
    { class: 'detail-head' },
    h('h2', {}, summary.eventType ?? 'Delivery without a type'),
    fateBadge(summary),
    replay,
    output,
  );
}

function detailFacts(detail: DeliveryDetail): HTMLElement {
  const { summary, publication } = detail;
  return h(
    'dl',
    { class: 'facts' },
    ...fact('Received', timeElement(summary.receivedAt)),
    ...fact('Answer', answerCell(summary)),
    ...fact('Latency', duration(summary.latencyMs)),
    ...fact('Scheme', summary.scheme === 'none' ? 'no signature header' : summary.scheme),
    ...fact('Event key', h('span', { class: 'mono' }, summary.eventKey ?? '—')),
    ...fact('Connection', h('span', { class: 'mono' }, summary.connectionId ?? '—')),
    // From the event record: when the event reached the bus, or why it has not yet.
    ...(publication
      ? fact(publication.label === 'published' ? 'Published' : 'Handled', publication.text)
      : []),
  );
}

/** The request as received: headers (masked by the server), body pretty-printed, and the answer. */
function detailRequest(detail: DeliveryDetail): HTMLElement[] {
  const body = detail.bodyEncoding === 'utf8' ? pretty(detail.body) : detail.body;
  const rows = detail.headers.map(([name, value]) =>
    h('tr', {}, h('td', { class: 'mono' }, name), h('td', { class: 'mono wrap' }, value)),
  );
  return [
    h('h3', {}, `Request headers · ${detail.method} ${detail.path}`),
    h('table', { class: 'grid headers' }, h('tbody', {}, ...rows)),
    h('h3', {}, detail.bodyEncoding === 'utf8' ? 'Body' : 'Body (not UTF-8, base64)'),
    h('pre', { class: 'body', tabindex: 0, 'aria-label': 'request body' }, body || '(empty)'),
    h('h3', {}, `Answer · ${statusText(detail.answer.status)}`),
    h(
      'pre',
      { class: 'body', tabindex: 0, 'aria-label': 'answer body' },
      pretty(detail.answer.body) || '(empty)',
    ),
  ];
}

/**
 * The detail panel's content for one delivery. `replayResult` is the answer to its last replay:
 * the panel is redrawn as the event moves on, and the answer must stay in view.
 */
export function renderDetail(
  detail: DeliveryDetail,
  config: InspectorConfig,
  replayResult: ActionResult | undefined,
  onReplay: (id: string) => void,
): HTMLElement {
  return h(
    'div',
    { 'data-delivery-id': detail.summary.id },
    detailHead(detail, replayResult, onReplay),
    detailFacts(detail),
    h('h3', {}, 'What became of it'),
    h('ol', { class: 'timeline' }, ...detail.timeline.map((entry) => timelineItem(entry, detail, config))),
    ...detailRequest(detail),
  );
}
