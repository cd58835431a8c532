/**
 * The inspector page: one server-sent event stream (`/api/stream`) brings the whole state once
 * and then every change; the detail of the selected delivery is fetched when it changes. Actions
 * are JSON POSTs to the same server.
 */
import type {
  ActionResult,
  DeliveryDetail,
  DeliverySummary,
  InspectorConfig,
  RegistryView,
  Snapshot,
  StreamEvents,
} from '../api-types.ts';
import { DeliveryList } from './deliveries.ts';
import { renderDetail, showResult } from './detail.ts';
import { byId, getJson, h, postJson } from './dom.ts';
import { renderDeadLetters, renderRegistry } from './lists.ts';
import { renderPublished } from './published.ts';

let config: InspectorConfig | undefined;
let detailTimer: number | undefined;
const list = new DeliveryList((id) => void showDetail(id));
/** The answer to the last replay of each delivery, kept across redraws of the detail. */
const replayResults = new Map<string, ActionResult>();
const WORKING: ActionResult = { ok: true, message: '…' };

/** POSTs an action; its answer, or why there was none. */
async function act(path: string, body: unknown = {}): Promise<ActionResult> {
  try {
    return (await postJson<ActionResult>(path, body)).body;
  } catch (error) {
    return { ok: false, message: `the inspector did not answer: ${String(error)}` };
  }
}

/** Runs an action, showing that it runs and then its answer in `output`. */
async function actInto(output: HTMLOutputElement, path: string, body: unknown = {}): Promise<void> {
  showResult(output, WORKING);
  showResult(output, await act(path, body));
}

async function replay(id: string): Promise<void> {
  const shown = () =>
    document.querySelector<HTMLOutputElement>(`#detail output[data-result-for="${CSS.escape(id)}"]`);
  replayResults.set(id, WORKING);
  const output = shown();
  if (output) showResult(output, WORKING);
  const result = await act(`/api/deliveries/${encodeURIComponent(id)}/replay`);
  replayResults.set(id, result);
  const current = shown();
  if (current) showResult(current, result);
}

async function showDetail(id: string): Promise<void> {
  const panel = byId('detail');
  const detail = await getJson<DeliveryDetail>(`/api/deliveries/${encodeURIComponent(id)}`);
  if (list.selected !== id || !config) return;
  if (!detail) {
    panel.replaceChildren(h('p', { class: 'muted' }, 'This delivery is no longer kept.'));
    return;
  }
  panel.replaceChildren(
    renderDetail(detail, config, replayResults.get(id), (deliveryId) => void replay(deliveryId)),
  );
}

/** Refetches the open detail when its delivery, or another delivery of its event, changed. */
function detailChanged(summary: DeliverySummary): void {
  const selected = list.selected ? list.get(list.selected) : undefined;
  if (!selected) return;
  const same =
    summary.id === selected.id || (summary.eventKey !== undefined && summary.eventKey === selected.eventKey);
  if (!same) return;
  clearTimeout(detailTimer);
  detailTimer = window.setTimeout(() => void showDetail(selected.id), 50);
}

function openDelivery(id: string): void {
  selectTab('tab-deliveries');
  list.select(id);
  document.querySelector<HTMLElement>(`#deliveries tr[data-id="${CSS.escape(id)}"]`)?.focus();
}

function applySnapshot(snapshot: Snapshot): void {
  config = snapshot.config;
  byId('webhook-url').textContent = snapshot.config.webhookUrl;
  byId('empty-command').textContent = snapshot.config.sendCommand;
  const types = byId<HTMLSelectElement>('send-type');
  if (types.options.length === 0)
    types.replaceChildren(...snapshot.config.exampleTypes.map((type) => h('option', { value: type }, type)));
  list.reset(snapshot.deliveries);
  renderRegistry(snapshot.registry);
  renderDeadLetters(snapshot.deadLetters, openDelivery);
  if (list.selected) void showDetail(list.selected);
  if (snapshot.published) renderPublished(snapshot.published);
}

function listen(): void {
  const live = byId('live');
  const stream = new EventSource('/api/stream');
  const on = <K extends keyof StreamEvents>(name: K, handle: (data: StreamEvents[K]) => void) =>
    stream.addEventListener(name, (event) =>
      handle(JSON.parse((event as MessageEvent<string>).data) as StreamEvents[K]),
    );
  on('snapshot', applySnapshot);
  on('delivery', (summary) => {
    list.upsert(summary);
    detailChanged(summary);
  });
  on('registry', (view: RegistryView) => renderRegistry(view));
  on('dead-letters', (view) => renderDeadLetters(view, openDelivery));
  on('published', renderPublished);
  stream.addEventListener('open', () => {
    live.className = 'live on';
    live.textContent = 'live';
  });
  stream.addEventListener('error', () => {
    live.className = 'live off';
    live.textContent = 'reconnecting… (is npm start running?)';
  });
}

const TABS = ['tab-deliveries', 'tab-connections', 'tab-dead-letters', 'tab-published'];

function selectTab(id: string): void {
  for (const tabId of TABS) {
    const tab = byId(tabId);
    const selected = tabId === id;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    byId(tab.getAttribute('aria-controls')!).hidden = !selected;
  }
}

function wireTabs(): void {
  for (const id of TABS) {
    const tab = byId(id);
    tab.addEventListener('click', () => selectTab(id));
    tab.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      const next =
        TABS[(TABS.indexOf(id) + (event.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]!;
      selectTab(next);
      byId(next).focus();
    });
  }
}

function wireActions(): void {
  const form = byId<HTMLFormElement>('send-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const connectionId = byId<HTMLInputElement>('send-connection').value.trim();
    void actInto(byId<HTMLOutputElement>('send-result'), '/api/send', {
      type: byId<HTMLSelectElement>('send-type').value,
      scheme: byId<HTMLSelectElement>('send-scheme').value,
      ...(connectionId && { connectionId }),
      tamper: byId<HTMLInputElement>('send-tamper').checked,
    });
  });
  byId('redrive').addEventListener(
    'click',
    () => void actInto(byId<HTMLOutputElement>('redrive-result'), '/api/dead-letters/redrive'),
  );
}

wireTabs();
wireActions();
listen();
