/**
 * The page the inspector serves: its own three files (`page/`, beside this module in `src/` and in
 * `dist/`) and the browser modules of its toolkit (Preact, its hooks, and htm for templates written
 * in plain JavaScript, so the page needs no build step), read once at start and served from memory.
 *
 * The page loads the toolkit by bare names through an import map written into the HTML; the
 * Content-Security-Policy lets exactly that inline map run (by its hash) and nothing else inline.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PageAsset {
  readonly type: string;
  readonly body: string;
}

const JAVASCRIPT = 'text/javascript; charset=utf-8';

const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: '/vendor/preact.js',
    'preact/hooks': '/vendor/preact-hooks.js',
    htm: '/vendor/htm.js',
  },
});

export interface Page {
  /** Every file by the path it is served at. */
  readonly assets: ReadonlyMap<string, PageAsset>;
  readonly contentSecurityPolicy: string;
}

export function loadPage(): Page {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const own = (file: string) => readFileSync(path.join(here, 'page', file), 'utf8');
  const require = createRequire(import.meta.url);
  const packageFile = (name: string, file: string) =>
    readFileSync(path.join(packageRoot(require.resolve(name), name), file), 'utf8');

  const importMapScript = `<script type="importmap">${IMPORT_MAP}</script>`;
  const html = own('index.html').replace('<!-- import map -->', importMapScript);
  const mapHash = createHash('sha256').update(IMPORT_MAP).digest('base64');

  const assets = new Map<string, PageAsset>([
    ['/', { type: 'text/html; charset=utf-8', body: html }],
    ['/app.js', { type: JAVASCRIPT, body: own('app.js') }],
    ['/style.css', { type: 'text/css; charset=utf-8', body: own('style.css') }],
    [
      '/vendor/preact.js',
      { type: JAVASCRIPT, body: withoutSourceMap(packageFile('preact', 'dist/preact.mjs')) },
    ],
    [
      '/vendor/preact-hooks.js',
      { type: JAVASCRIPT, body: withoutSourceMap(packageFile('preact', 'hooks/dist/hooks.mjs')) },
    ],
    [
      '/vendor/htm.js',
      { type: JAVASCRIPT, body: withoutSourceMap(packageFile('htm', 'dist/htm.module.js')) },
    ],
  ]);
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${mapHash}'`,
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { assets, contentSecurityPolicy };
}

/**
 * The folder of package `name`, found up from its main file: not every package exports its
 * `package.json` to be resolved.
 */
function packageRoot(entry: string, name: string): string {
  for (let folder = path.dirname(entry); folder !== path.dirname(folder); folder = path.dirname(folder)) {
    const manifest = path.join(folder, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === name
    ) {
      return folder;
    }
  }
  throw new Error(`the inspector cannot find the folder of its dependency ${name} (from ${entry})`);
}

/** The maps are not served: a browser's developer tools would ask for them and log each refusal. */
function withoutSourceMap(code: string): string {
  return code.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
}
