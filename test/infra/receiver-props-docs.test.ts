/**
 * The `@default` of every prop with a single default says its value in terms a reader can
 * resolve (a number, a string, `Duration.hours(72)`, a public enum member), not an unexported
 * constant, and that value is the one the receiver uses (`RECEIVER_DEFAULTS`).
 */
import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RECEIVER_DEFAULTS } from '../../lib/index.ts';
import * as propsModule from '../../lib/receiver-props.ts';

const SOURCE = readFileSync(new URL('../../lib/receiver-props.ts', import.meta.url), 'utf8');

/** Each prop of OFAuthWebhookReceiverProps with the `@default` text of its TSDoc. */
function documentedDefaults(): Map<string, string> {
  const body = SOURCE.slice(SOURCE.indexOf('export interface OFAuthWebhookReceiverProps'));
  const defaults = new Map<string, string>();
  for (const [, text, name] of body.matchAll(
    /@default ([^\n]*)\n(?:\s*\*[^\n]*\n)*?\s*\*\/\s*readonly (\w+)\?/g,
  )) {
    defaults.set(name!, text!.trim());
  }
  return defaults;
}

/** The value a `@default` text names, or undefined when it is not one of the resolvable forms. */
function documentedValue(text: string): unknown {
  const plain = text.replace(/\s+\([^)]*\)$/, ''); // "1048576 (1 MiB)": the note is for the reader
  const duration = /^Duration\.(seconds|minutes|hours|days)\((\d+)\)$/.exec(plain);
  if (duration) return Duration[duration[1] as 'seconds'](Number(duration[2])).toSeconds();
  const removal = /^RemovalPolicy\.(\w+)$/.exec(plain);
  if (removal) return RemovalPolicy[removal[1] as keyof typeof RemovalPolicy];
  const retention = /^RetentionDays\.(\w+)$/.exec(plain);
  if (retention) return RetentionDays[retention[1] as keyof typeof RetentionDays];
  if (/^'[^']*'$/.test(plain)) return plain.slice(1, -1);
  if (/^(true|false|\d+)$/.test(plain)) return JSON.parse(plain);
  return undefined;
}

describe('the documented defaults of the receiver props', () => {
  it.each(Object.entries(RECEIVER_DEFAULTS))('%s says the value the receiver uses', (name, value) => {
    const text = documentedDefaults().get(name);
    expect(text).toBeDefined();
    const expected = value instanceof Duration ? value.toSeconds() : value;
    expect([name, documentedValue(text!)]).toEqual([name, expected]);
  });

  it('names no unexported constant', () => {
    const constants = [...documentedDefaults()].filter(([, text]) => /\b[A-Z][A-Z_]{3,}\.\w/.test(text));
    expect(constants).toEqual([]);
  });
});

describe('the props file', () => {
  it('declares the props only: defaults live in lib/receiver/defaults.ts, checks in lib/receiver/validate-props.ts', () => {
    // GIVEN the module a reader opens for the props
    // WHEN its runtime values are listed
    const values = Object.keys(propsModule).sort();
    // THEN only the list behind the ReceiverLogLevel type is there (everything else is a type)
    expect(values).toEqual(['RECEIVER_LOG_LEVELS']);
  });
});
