/**
 * Synthesizing the receiver for the infra tests, with the feature flags of cdk.json (so the tests
 * see the template `cdk deploy` would deploy) and, unless a test needs real bundles, with bundling
 * switched off: esbuild on two cores is the slow part of a synth.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OFAuthWebhookReceiverStack, type OFAuthWebhookReceiverStackProps } from '../../../lib/index.ts';

/** The `context` block of cdk.json: the feature flags every synth uses. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

const outdirs: string[] = [];
// Each app synthesizes into its own temporary directory; remove them when the test file is done.
afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Options of {@link newApp}. */
export interface NewAppOptions {
  /** Extra context (the receiver's context keys). */
  readonly context?: Record<string, unknown>;
  /** Build the real esbuild bundles. @default false */
  readonly bundle?: boolean;
}

/** An app with cdk.json's flags and a private output directory. */
export function newApp(options: NewAppOptions = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), 'ofauth-cdk-'));
  outdirs.push(outdir);
  return new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
}

/** The receiver stack and its synthesized template. */
export interface SynthesizedStack {
  readonly stack: OFAuthWebhookReceiverStack;
  readonly template: Template;
}

/** Synthesizes one receiver stack (without cdk-nag; the nag test goes through `bin/`). */
export function synthStack(
  props: OFAuthWebhookReceiverStackProps = {},
  options: NewAppOptions = {},
): SynthesizedStack {
  const app = newApp(options);
  const stack = new OFAuthWebhookReceiverStack(app, 'Receiver', props);
  return { stack, template: Template.fromStack(stack) };
}

/** The logical ID of the single resource of a type whose ID starts with `prefix`. */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}
