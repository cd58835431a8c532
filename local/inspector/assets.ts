/**
 * The inspector's page: an HTML shell, one stylesheet and one script bundled from `page/` by
 * esbuild when `npm start` starts (about 50 ms), held in memory. Nothing is fetched from the
 * network: no CDN, no web fonts.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'page');

/** One servable file. */
export interface Asset {
  readonly contentType: string;
  readonly body: Buffer;
}

/** The page's files by URL path. */
export type PageAssets = ReadonlyMap<string, Asset>;

/** The URL paths of the page's files. */
export const ASSET_PATHS: ReadonlySet<string> = new Set(['/', '/inspector.css', '/inspector.js']);

/**
 * Bundles the page: `/` (HTML), `/inspector.css` and `/inspector.js` (minified ES2022, no source map).
 *
 * @example
 * const assets = await buildPageAssets();
 * assets.get('/inspector.js')?.body.length; // bytes
 */
export async function buildPageAssets(): Promise<PageAssets> {
  const [html, css, script] = await Promise.all([
    readFile(resolve(PAGE_DIR, 'index.html')),
    readFile(resolve(PAGE_DIR, 'styles.css')),
    build({
      entryPoints: [resolve(PAGE_DIR, 'app.ts')],
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    }),
  ]);
  return new Map<string, Asset>([
    ['/', { contentType: 'text/html; charset=utf-8', body: html }],
    ['/inspector.css', { contentType: 'text/css; charset=utf-8', body: css }],
    [
      '/inspector.js',
      { contentType: 'text/javascript; charset=utf-8', body: Buffer.from(script.outputFiles[0]!.contents) },
    ],
  ]);
}

/** The page's total size in bytes. */
export function assetBytes(assets: PageAssets): number {
  let total = 0;
  for (const asset of assets.values()) total += asset.body.length;
  return total;
}
