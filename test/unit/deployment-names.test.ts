/**
 * The names that tie the parts together (environment variables, stack outputs and name, the
 * webhook path, the published events' source) are written once, in
 * lambda/shared/deployment-names.ts; every other module reads them from there. A second spelling
 * in code (a quoted name or an object key) fails here, so no copy can drift and no test is needed
 * to keep copies equal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  DEFAULT_STACK_NAME,
  PROCESSOR_ENVIRONMENT,
  PUBLISHED_EVENT_SOURCE,
  STACK_OUTPUTS,
  VERIFIER_ENVIRONMENT,
  WEBHOOK_PATH,
} from '../../lambda/shared/deployment-names.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DEFINITIONS = 'lambda/shared/deployment-names.ts';
const CODE_FOLDERS = ['bin', 'bench', 'cli', 'lambda', 'lib', 'local', 'testing'];

/** The TypeScript files under a folder, relative to the repository. */
function typeScriptFiles(folder: string): string[] {
  return readdirSync(resolve(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => relative(ROOT, join(ROOT, folder, file)));
}

/** The file's code without comments, so that prose may still mention a name. */
function codeOf(file: string): string {
  return readFileSync(resolve(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('the deployment names', () => {
  const files = CODE_FOLDERS.flatMap(typeScriptFiles).filter((file) => file !== DEFINITIONS);
  const copiesOf = (pattern: RegExp, among = files) => among.filter((file) => pattern.test(codeOf(file)));

  it.each([
    ...new Set([...Object.values(VERIFIER_ENVIRONMENT), ...Object.values(PROCESSOR_ENVIRONMENT)]),
    DEFAULT_STACK_NAME,
    WEBHOOK_PATH,
    PUBLISHED_EVENT_SOURCE,
  ])('are spelled out once in code: %s', (name) => {
    // GIVEN every code file but the definitions
    // WHEN we look for the name quoted, as the start of a quoted path, as an object key or as `env.NAME`
    const n = escapeRegExp(name);
    const copies = copiesOf(
      new RegExp(`['"\`]${n}(['"\`/?]|\\$\\{)|(^|[\\s{,])${n}\\s*:|env\\.${n}\\b`, 'm'),
    );
    // THEN only the definitions hold it
    expect(copies).toEqual([]);
  });

  // `QueueArn` is also the SQS attribute the CLI's redrive asks for, a name of SQS's, not ours.
  const outputs = Object.values(STACK_OUTPUTS).filter((name) => name !== 'QueueArn');

  it.each(outputs)('are spelled out once in code: output %s', (name) => {
    // GIVEN the code that writes or reads stack outputs (SDK parameters such as `QueueUrl:` share
    // some of these names, so only a quoted name counts)
    const readers = files.filter((file) => /^(bin|cli|lib|testing)\//.test(file));
    // WHEN we look for the name quoted
    const copies = copiesOf(new RegExp(`['"\`]${escapeRegExp(name)}['"\`]`), readers);
    // THEN only the definitions hold it
    expect(copies).toEqual([]);
  });

  it('need neither the CDK nor the AWS SDK', () => {
    // GIVEN the definitions' imports
    const imports = [...readFileSync(resolve(ROOT, DEFINITIONS), 'utf8').matchAll(/from '([^']+)'/g)];
    // THEN there are none: the CLI loads this module without loading aws-cdk-lib
    expect(imports).toEqual([]);
  });
});
