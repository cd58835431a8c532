/**
 * The connections view (registry and Dynamic Rules) and the dead-letter queue view, each redrawn
 * whole from the server's latest list: both are small.
 */
import type { ConnectionView, DeadLetterQueueView, RegistryView } from '../api-types.ts';
import { byId, h, pretty, timeElement } from './dom.ts';

const STATUS_TONE: Record<string, string> = {
  active: 'ok',
  awaiting_2fa: 'warn',
  expired: 'warn',
  disconnected: 'bad',
};

function connectionRow(connection: ConnectionView): HTMLTableRowElement {
  const tombstone = connection.disconnectedAt !== undefined;
  return h(
    'tr',
    { class: tombstone ? 'tombstone' : undefined, 'data-connection': connection.connectionId },
    h('td', { class: 'mono wrap' }, connection.connectionId),
    h(
      'td',
      {},
      h(
        'span',
        { class: `badge ${STATUS_TONE[connection.status ?? ''] ?? ''}` },
        connection.status ?? 'unknown',
      ),
      tombstone
        ? h('div', { class: 'muted' }, 'tombstone since ', timeElement(connection.disconnectedAt))
        : null,
    ),
    h('td', { class: 'mono' }, connection.clientReferenceId ?? '—'),
    h('td', { class: 'wide wrap' }, connection.permissions?.join(', ') || '—'),
    h(
      'td',
      {},
      connection.lastEventType ?? '—',
      h('div', { class: 'muted' }, timeElement(connection.lastEventAt)),
    ),
    h('td', { class: 'wide' }, timeElement(connection.updatedAt)),
  );
}

/** Redraws the connections view. */
export function renderRegistry(view: RegistryView): void {
  const table = byId<HTMLTableElement>('connections');
  table.tBodies[0]!.replaceChildren(...view.connections.map(connectionRow));
  table.hidden = view.connections.length === 0;
  byId('connections-empty').hidden = view.connections.length > 0;
  byId('count-connections').textContent = view.connections.length ? String(view.connections.length) : '';
  const error = byId('registry-error');
  error.hidden = !view.error;
  error.textContent = view.error ?? '';
  const rules = view.rules;
  byId('rules').replaceChildren(
    rules
      ? h(
          'div',
          { class: 'rules' },
          h(
            'dl',
            { class: 'facts' },
            h('dt', {}, 'Revision'),
            h('dd', { class: 'mono', 'data-field': 'revision' }, String(rules.revision ?? '—')),
            h('dt', {}, 'Event time'),
            h('dd', {}, timeElement(rules.lastEventAt)),
            h('dt', {}, 'Stored'),
            h('dd', {}, timeElement(rules.updatedAt)),
          ),
          rules.rules ? h('pre', { class: 'body', tabindex: 0 }, pretty(JSON.stringify(rules.rules))) : null,
        )
      : h(
          'p',
          { class: 'empty' },
          'No Dynamic Rules yet: a processed rules.updated stores the latest revision.',
        ),
  );
}

/** Redraws the dead-letter queue view. */
export function renderDeadLetters(view: DeadLetterQueueView, onOpen: (deliveryId: string) => void): void {
  const table = byId<HTMLTableElement>('dead-letters');
  const rows = view.messages.map((message) => {
    const open = message.deliveryId
      ? h(
          'button',
          { type: 'button', class: 'secondary', 'aria-label': `open the delivery of ${message.eventKey}` },
          'Open',
        )
      : null;
    open?.addEventListener('click', () => onOpen(message.deliveryId!));
    return h(
      'tr',
      {
        'data-message': message.messageId,
        'data-event-key': message.eventKey,
        'data-source': message.source,
      },
      h('td', { class: 'mono' }, timeElement(message.sentAt)),
      h('td', {}, message.eventType ?? '—'),
      h('td', { class: 'wide mono' }, message.groupId ?? '—'),
      h(
        'td',
        { class: 'wide mono' },
        h('span', { class: 'key', title: message.eventKey ?? '' }, message.eventKey ?? '—'),
      ),
      h('td', { class: 'num' }, String(message.receiveCount)),
      h('td', { class: 'reason wrap' }, message.reason),
      h('td', {}, open),
    );
  });
  table.tBodies[0]!.replaceChildren(...rows);
  table.hidden = rows.length === 0;
  byId('dead-letters-empty').hidden = rows.length > 0;
  byId<HTMLButtonElement>('redrive').disabled = rows.length === 0;
  byId('count-dead-letters').textContent = rows.length ? String(rows.length) : '';
  const error = byId('dead-letters-error');
  error.hidden = !view.error;
  error.textContent = view.error ?? '';
}
