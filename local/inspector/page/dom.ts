/**
 * The page's few DOM helpers. Everything that comes from a delivery is set as text, never as
 * HTML: a webhook body is input from outside.
 */

type Child = Node | string | number | false | null | undefined;
type Attributes = Record<string, string | number | boolean | undefined>;

/** Creates an element with attributes (`class`, `aria-*`, `data-*`, …) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
  return element;
}

/** The element with this id; the page's HTML has every one the script uses. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Local wall-clock time with milliseconds, e.g. `14:03:07.125`. */
export function clock(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A `<time>` showing {@link clock} (its milliseconds step aside in a narrow window), the full timestamp on hover. */
export function timeElement(iso: string | undefined): HTMLElement {
  if (!iso) return h('span', {}, '—');
  const shown = clock(iso);
  const dot = shown.lastIndexOf('.');
  return dot === -1
    ? h('time', { datetime: iso, title: iso }, shown)
    : h(
        'time',
        { datetime: iso, title: iso },
        shown.slice(0, dot),
        h('span', { class: 'ms' }, shown.slice(dot)),
      );
}

/** A dotted name that may break before each dot, e.g. `connection.updated` in a narrow column. */
export function dotted(name: string): Array<Node | string> {
  return name.split('.').flatMap((part, index) => (index === 0 ? [part] : [h('wbr'), `.${part}`]));
}

/** Milliseconds, short. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** A JSON text pretty-printed, or the text as it is. */
export function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The reason phrase of common statuses. */
const REASONS: Record<number, string> = {
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** `202 Accepted`. */
export function statusText(status: number): string {
  return `${status} ${REASONS[status] ?? ''}`.trim();
}

/** The badge tone of an HTTP status. */
export function statusTone(status: number): 'ok' | 'warn' | 'bad' {
  if (status >= 200 && status < 300) return 'ok';
  return status >= 500 ? 'bad' : status === 409 ? 'warn' : 'bad';
}

/** POSTs a JSON action and returns its JSON answer (also for a non-2xx status). */
export async function postJson<T>(path: string, body: unknown = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** GETs JSON; undefined for a 404. */
export async function getJson<T>(path: string): Promise<T | undefined> {
  const response = await fetch(path);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return (await response.json()) as T;
}
