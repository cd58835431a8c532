import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { APP_PROCESSOR_ENTRY } from '../../bin/receiver-app.ts';
import { DEMO_FAILURE_PREFIX } from '../../local/demo-failures.ts';
import { logicalIdOf, synthStack } from './support/synth.ts';

let app: App;
let template: Template;

beforeAll(() => {
  // GIVEN the stack synthesized with real esbuild bundling (local, no Docker)
  const synthesized = synthStack({}, { bundle: true });
  template = synthesized.template;
  app = synthesized.stack.node.root as App;
}, 120_000);

/** The bundled entry file of one function, found through its asset hash. */
function bundleOf(prefix: string, synthesized: { template: Template; app: App } = { template, app }): string {
  const fn =
    synthesized.template.toJSON().Resources[
      logicalIdOf(synthesized.template, 'AWS::Lambda::Function', prefix)
    ];
  const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
  const file = join(synthesized.app.outdir, `asset.${hash}`, 'index.mjs');
  expect(existsSync(file)).toBe(true);
  return readFileSync(file, 'utf8');
}

describe.each(['ReceiverVerifier', 'ReceiverProcessor'])('the %s bundle', (prefix) => {
  let code: string;
  beforeAll(() => {
    code = bundleOf(prefix);
  });

  it('is an ES module exporting handler, with require() provided for bundled CommonJS', () => {
    expect(
      code.startsWith("import{createRequire}from'node:module';const require=createRequire(import.meta.url);"),
    ).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(code).not.toMatch(/\bmodule\.exports\s*=/);
  });

  it('is minified', () => {
    // Line breaks survive only inside template literals: an unminified bundle averages ~40 characters a line.
    const lines = code.split('\n');
    expect(code.length / lines.length).toBeGreaterThan(1000);
    expect(lines.filter((line) => /^\s*\/\/ /.test(line))).toEqual([]);
    expect(code).not.toMatch(/\/\*\*\s*\n/);
  });

  it('carries its dependencies, the AWS SDK included, importing only Node built-ins', () => {
    const specifiers = [...code.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((match) => match[1]!);
    const external = specifiers.filter((s) => !s.startsWith('node:') && !builtinModules.includes(s));
    expect(external).toEqual([]);
  });
});

describe('the processor this repository deploys (bin/: the app’s handler file)', () => {
  it('carries nothing of the local pipeline: its failures on purpose never reach AWS', () => {
    // GIVEN the stack as bin/ synthesizes it, with the app's handler map as the processor's entry
    const synthesized = synthStack(
      { receiver: { processorProps: { entry: APP_PROCESSOR_ENTRY } } },
      { bundle: true },
    );
    // THEN its bundle has the app's handlers but not local/pipeline.ts's demo wrapper of them
    const code = bundleOf('ReceiverProcessor', {
      template: synthesized.template,
      app: synthesized.stack.node.root as App,
    });
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    // (the match with its surroundings, not the whole bundle, should it fail)
    expect(new RegExp(`.{0,60}${DEMO_FAILURE_PREFIX}.{0,60}`).exec(code)?.[0]).toBeUndefined();
  }, 120_000);
});
