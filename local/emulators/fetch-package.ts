/**
 * Fetches one npm package's tarball with `npm pack` (so the user's registry, proxy and auth
 * settings apply) and says so while it runs: a first `npm start` downloads DynamoDB Local, tens of
 * megabytes, and would otherwise sit silent for as long as that takes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where fetch progress is written: stderr by default; a line redrawn in place on a terminal. */
export interface FetchReporter {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Options for {@link fetchPackageTarball}. */
export interface FetchPackageOptions {
  /** What the package is, for people: e.g. `DynamoDB Local`. */
  readonly label: string;
  /** The tarball's size, for the progress line. @default unknown: bytes only, no percentage */
  readonly expectedBytes?: number;
  /** Where the destination is, for people. @default the destination folder */
  readonly shownDestination?: string;
  /** @default process.stderr */
  readonly report?: FetchReporter;
  /** How often the progress line is redrawn on a terminal. @default 250 */
  readonly intervalMs?: number;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The bytes under `dir`, counting files still being written. */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  try {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile())
        total += (await stat(join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
    }
  } catch {
    // The folder appears once npm starts writing.
  }
  return total;
}

/**
 * Runs `npm pack <spec>` into `destination` and returns the tarball's file name. The tarball goes
 * through a private npm cache that is removed afterwards: the size of that folder is how far the
 * download has got (npm prints no progress of its own).
 *
 * @example
 * const tarball = await fetchPackageTarball('amplify-dynamodb-simulator@2.9.30', staging, { label: 'DynamoDB Local' });
 */
export async function fetchPackageTarball(
  spec: string,
  destination: string,
  options: FetchPackageOptions,
): Promise<string> {
  const report = options.report ?? process.stderr;
  const size = options.expectedBytes ? `, ${mb(options.expectedBytes)}` : '';
  report.write(
    `Fetching ${options.label} (npm package ${spec}${size}) into ${options.shownDestination ?? destination}; only the first start does this.\n`,
  );
  const cache = await mkdtemp(`${destination}-npm-cache-`);
  const started = performance.now();
  let finished = false;
  const draw = async () => {
    const bytes = await folderBytes(cache);
    if (finished) return;
    const of = options.expectedBytes ? ` / ${mb(options.expectedBytes)}` : '';
    report.write(`\r  downloading ${mb(Math.min(bytes, options.expectedBytes ?? bytes))}${of}\x1b[K`);
  };
  const timer = report.isTTY ? setInterval(() => void draw(), options.intervalMs ?? 250) : undefined;
  try {
    await run('npm', ['pack', spec, '--silent', '--cache', cache, '--pack-destination', destination], {
      cwd: destination,
      maxBuffer: 16 * 1024 * 1024,
    });
  } finally {
    finished = true;
    clearInterval(timer);
    if (report.isTTY) report.write('\r\x1b[K');
    await rm(cache, { recursive: true, force: true });
  }
  const tarball = (await readdir(destination)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack ${spec} produced no tarball in ${destination}`);
  const bytes = (await stat(join(destination, tarball))).size;
  report.write(
    `Fetched ${options.label} (${mb(bytes)}) in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`,
  );
  return tarball;
}
