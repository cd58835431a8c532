/**
 * The "Published" tab: the events the processor published to the local recording bus (what an
 * EventBridge rule on the deployed bus would see), newest first, pushed over the page's stream.
 */
import type { PublishedView } from '../api-types.ts';
import { byId, h, timeElement } from './dom.ts';

/** Renders the published events. */
export function renderPublished(view: PublishedView): void {
  const table = byId<HTMLTableElement>('published');
  const rows = view.events.map((event) =>
    h(
      'tr',
      { 'data-event-key': event.eventKey ?? '' },
      h('td', { class: 'mono' }, timeElement(event.publishedAt)),
      h('td', {}, event.detailType),
      h('td', { class: 'wide mono' }, event.connectionId ?? '—'),
      h(
        'td',
        { class: 'wide mono' },
        h('span', { class: 'key', title: event.eventKey ?? '' }, event.eventKey ?? '—'),
      ),
      h('td', { class: 'mono' }, timeElement(event.time)),
      h('td', {}, event.replay ? 'replay' : ''),
    ),
  );
  table.tBodies[0]!.replaceChildren(...rows);
  table.hidden = rows.length === 0;
  byId('published-empty').hidden = rows.length > 0;
  byId('count-published').textContent = view.total ? String(view.total) : '';
}
