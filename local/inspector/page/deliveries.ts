/**
 * The deliveries list: newest first, one keyed row per delivery updated in place as its event
 * moves on, filtered by type, connection and status, and driven from the keyboard (Enter or Space
 * opens a row, the arrow keys move between rows).
 */
import type { DeliverySummary, Fate } from '../api-types.ts';
import { byId, dotted, duration, h, statusText, statusTone, timeElement } from './dom.ts';

const FATE_TONE: Record<Fate, string> = {
  queued: 'info',
  processing: 'info',
  processed: 'ok',
  retrying: 'warn',
  'dead-letter': 'bad',
};

/** The badge of an event's fate; `—` for a delivery that was not accepted. */
export function fateBadge(summary: Pick<DeliverySummary, 'fate' | 'duplicate'>): HTMLElement {
  if (!summary.fate) return h('span', { class: 'muted' }, '—');
  const fate = h(
    'span',
    { class: `badge ${FATE_TONE[summary.fate]}`, 'data-fate': summary.fate },
    summary.fate,
  );
  if (!summary.duplicate) return fate;
  return h(
    'span',
    {},
    fate,
    h('span', { class: 'muted', title: 'a duplicate delivery of a handed-on event' }, ' dup'),
  );
}

/**
 * The answer: a status badge (the number alone in the list, `202 Accepted` in full elsewhere)
 * and the error code.
 */
export function answerCell(
  summary: Pick<DeliverySummary, 'status' | 'errorCode'>,
  short = false,
): HTMLElement {
  return h(
    'span',
    {},
    h(
      'span',
      {
        class: `badge ${statusTone(summary.status)}`,
        'data-status': summary.status,
        title: statusText(summary.status),
      },
      short ? String(summary.status) : statusText(summary.status),
    ),
    summary.errorCode ? h('span', { class: 'code' }, summary.errorCode) : null,
  );
}

/** Rows kept at most, as many as the server keeps. */
const MAX_ROWS = 1000;

/** The list, its filters and its selection. */
export class DeliveryList {
  readonly #body = byId<HTMLTableElement>('deliveries').tBodies[0]!;
  readonly #rows = new Map<string, { summary: DeliverySummary; row: HTMLTableRowElement }>();
  readonly #filters = {
    type: byId<HTMLSelectElement>('filter-type'),
    connection: byId<HTMLInputElement>('filter-connection'),
    status: byId<HTMLSelectElement>('filter-status'),
  };
  readonly #types = new Set<string>();
  readonly #connections = new Set<string>();
  readonly #onSelect: (id: string) => void;
  #selected: string | undefined;

  constructor(onSelect: (id: string) => void) {
    this.#onSelect = onSelect;
    for (const control of Object.values(this.#filters))
      control.addEventListener('input', () => this.#applyFilters());
    this.#body.addEventListener('click', (event) => {
      const row = (event.target as Element).closest('tr');
      if (row?.dataset.id) this.select(row.dataset.id);
    });
    this.#body.addEventListener('keydown', (event) => this.#onKey(event));
  }

  /** Replaces every row (a new snapshot). */
  reset(summaries: readonly DeliverySummary[]): void {
    this.#rows.clear();
    this.#body.replaceChildren();
    for (const summary of [...summaries].reverse()) this.upsert(summary);
    this.#refreshChrome();
  }

  /** Adds a new delivery on top, or updates its row in place. */
  upsert(summary: DeliverySummary): void {
    const existing = this.#rows.get(summary.id);
    const row = this.#row(summary);
    if (existing) existing.row.replaceWith(row);
    else this.#body.prepend(row);
    this.#rows.set(summary.id, { summary, row });
    if (row.contains(document.activeElement) || existing?.row === document.activeElement) row.focus();
    this.#remember(summary);
    row.hidden = !this.#matches(summary);
    if (this.#rows.size > MAX_ROWS) {
      const oldest = this.#body.lastElementChild as HTMLTableRowElement | null;
      if (oldest?.dataset.id) {
        this.#rows.delete(oldest.dataset.id);
        oldest.remove();
      }
    }
    this.#refreshChrome();
  }

  get(id: string): DeliverySummary | undefined {
    return this.#rows.get(id)?.summary;
  }

  /** Marks a row selected and opens it. */
  select(id: string): void {
    this.#selected = id;
    for (const { row } of this.#rows.values())
      row.setAttribute('aria-selected', String(row.dataset.id === id));
    this.#onSelect(id);
  }

  get selected(): string | undefined {
    return this.#selected;
  }

  #row(summary: DeliverySummary): HTMLTableRowElement {
    const label = `${summary.eventType ?? 'delivery'} answered ${summary.status}${summary.errorCode ? ` ${summary.errorCode}` : ''}`;
    return h(
      'tr',
      {
        tabindex: 0,
        'data-id': summary.id,
        'aria-selected': String(summary.id === this.#selected),
        'aria-label': label,
      },
      h('td', { class: 'mono' }, timeElement(summary.receivedAt)),
      h('td', {}, answerCell(summary, true)),
      h('td', { class: 'wide' }, summary.scheme === 'none' ? '—' : summary.scheme),
      h(
        'td',
        { class: 'type' },
        ...(summary.eventType ? dotted(summary.eventType) : [h('span', { class: 'muted' }, 'no type')]),
      ),
      h(
        'td',
        { class: 'wide mono' },
        h('span', { class: 'key', title: summary.connectionId ?? '' }, summary.connectionId ?? '—'),
      ),
      h(
        'td',
        { class: 'wide mono' },
        h('span', { class: 'key', title: summary.eventKey ?? '' }, summary.eventKey ?? '—'),
      ),
      h('td', { class: 'wide num' }, duration(summary.latencyMs)),
      h('td', {}, fateBadge(summary)),
    );
  }

  #matches(summary: DeliverySummary): boolean {
    const type = this.#filters.type.value;
    const connection = this.#filters.connection.value.trim();
    const status = this.#filters.status.value;
    if (type && summary.eventType !== type) return false;
    if (connection && !(summary.connectionId ?? '').includes(connection)) return false;
    if (status === 'accepted') return summary.status >= 200 && summary.status < 300;
    if (status === 'rejected') return summary.status >= 300;
    return !status || summary.fate === status;
  }

  #applyFilters(): void {
    for (const { summary, row } of this.#rows.values()) row.hidden = !this.#matches(summary);
    this.#refreshChrome();
  }

  /** Keeps the filter choices to what has been seen. */
  #remember(summary: DeliverySummary): void {
    if (summary.eventType && !this.#types.has(summary.eventType)) {
      this.#types.add(summary.eventType);
      const options = [...this.#types].sort().map((type) => h('option', { value: type }, type));
      const current = this.#filters.type.value;
      this.#filters.type.replaceChildren(h('option', { value: '' }, 'all types'), ...options);
      this.#filters.type.value = current;
    }
    if (summary.connectionId && !this.#connections.has(summary.connectionId)) {
      this.#connections.add(summary.connectionId);
      byId('connection-ids').append(h('option', { value: summary.connectionId }));
    }
  }

  #refreshChrome(): void {
    const total = this.#rows.size;
    const shown = [...this.#rows.values()].filter(({ row }) => !row.hidden).length;
    byId('count-deliveries').textContent = total ? String(total) : '';
    byId('deliveries-empty').hidden = total > 0;
    byId('deliveries-filtered').hidden = total === 0 || shown > 0;
    byId('deliveries').hidden = total === 0;
    byId('filter-summary').textContent = shown < total ? `${shown} of ${total} shown` : '';
  }

  #onKey(event: KeyboardEvent): void {
    const row = (event.target as Element).closest('tr');
    if (!row?.dataset.id) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.select(row.dataset.id);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      let next = event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      while (next && (next as HTMLElement).hidden)
        next = event.key === 'ArrowDown' ? next.nextElementSibling : next.previousElementSibling;
      (next as HTMLElement | null)?.focus();
    }
  }
}
