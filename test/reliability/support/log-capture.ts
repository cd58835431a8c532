import { appendFileSync } from 'node:fs';
/**
 * Captures every line written to stdout and stderr (Powertools Logger and Metrics write there
 * through their own `Console`), and scans the captured lines for secrets in every form a careless
 * log statement could print them: as configured, base64, base64url and hex, and for a `whsec_`
 * key also its decoded bytes in each encoding.
 */

/** A running capture. */
export interface LogCapture {
  /** Every complete line captured so far. */
  readonly lines: readonly string[];
  /** Restores the original writers. */
  stop(): void;
}

/**
 * Starts capturing. Lines are kept (not passed through) so that a suite of ten thousand requests
 * does not flood the CI log; `passThrough` forwards them as well.
 */
export function captureLogs(options: { passThrough?: boolean } = {}): LogCapture {
  const lines: string[] = [];
  const pending = { stdout: '', stderr: '' };
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  const patch = (name: 'stdout' | 'stderr') => {
    const original = originals[name];
    process[name].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = pending[name] + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const parts = text.split('\n');
      pending[name] = parts.pop() ?? '';
      for (const line of parts) if (line.length > 0) lines.push(line);
      if (options.passThrough)
        return (original as (...args: unknown[]) => boolean).call(process[name], chunk, ...rest);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  };
  patch('stdout');
  patch('stderr');
  return {
    lines,
    stop: () => {
      for (const name of ['stdout', 'stderr'] as const) {
        if (pending[name]) lines.push(pending[name]);
        pending[name] = '';
        process[name].write = originals[name];
      }
    },
  };
}

/**
 * Writes captured lines to the file named by `RELIABILITY_LOG_FILE`, when set: the suites keep
 * the handlers' logs out of the CI output, and this brings them back for debugging.
 */
export function dumpLogsIfAsked(lines: readonly string[], suite: string): void {
  const file = process.env.RELIABILITY_LOG_FILE;
  if (file) appendFileSync(file, lines.map((line) => `${suite}\t${line}\n`).join(''));
}

/** Every form of a secret that must never appear in a log line. */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>();
  const add = (bytes: Buffer) => {
    forms.add(bytes.toString('base64'));
    forms.add(bytes.toString('base64').replace(/=+$/, ''));
    forms.add(bytes.toString('base64url'));
    forms.add(bytes.toString('hex'));
    forms.add(bytes.toString('hex').toUpperCase());
  };
  forms.add(secret);
  add(Buffer.from(secret, 'utf8'));
  if (secret.startsWith('whsec_')) {
    const key = secret.slice('whsec_'.length);
    forms.add(key);
    add(Buffer.from(key, 'base64'));
  }
  // JSON escaping of the raw secret, should a logger serialize it inside a string.
  forms.add(JSON.stringify(secret).slice(1, -1));
  // Forms shorter than 12 characters would match by chance; the secrets used are far longer.
  return [...forms].filter((form) => form.length >= 12);
}

/** A secret (or one of its forms) found in a line. */
export interface SecretLeak {
  readonly lineIndex: number;
  readonly form: string;
}

/** Finds every line that contains any form of any secret. */
export function findSecretLeaks(lines: readonly string[], secrets: readonly string[]): SecretLeak[] {
  const forms = secrets.flatMap(secretForms);
  const leaks: SecretLeak[] = [];
  lines.forEach((line, lineIndex) => {
    for (const form of forms)
      if (line.includes(form)) leaks.push({ lineIndex, form: `${form.slice(0, 6)}…` });
  });
  return leaks;
}
