import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';

/** Every TypeScript file under a folder of the repository. */
function sources(folder: string): string[] {
  return readdirSync(join(REPO_ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(REPO_ROOT, folder, name));
}

describe('the local inspector stays local', () => {
  it('is imported by nothing the Lambda bundles or the CDK app are built from (lambda/, lib/, bin/)', () => {
    // GIVEN every module of the deployed code
    const files = ['lambda', 'lib', 'bin'].flatMap(sources);
    expect(files.length).toBeGreaterThan(20);
    // THEN none imports from local/ (where the inspector, the gateway and the emulators live)
    const offenders = files.filter((file) =>
      /(from\s+|import\()\s*['"][^'"]*\/local\//.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((file) => relative(REPO_ROOT, file))).toEqual([]);
  });
});
