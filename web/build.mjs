// Bundle the pages' scripts and styles with esbuild into static/web/ under content-hashed names, with a manifest
// (name -> hashed file) the server reads. MapLibre's worker is copied beside them, hashed too.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'static', 'web');
const started = Date.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const entries = { map: 'src/map-page.js', signin: 'src/signin.css' };
const result = await build({
  absWorkingDir: here,
  entryPoints: entries,
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  outdir: out,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});

const manifest = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const name = Object.keys(entries).find((k) => join(here, entries[k]) === join(here, meta.entryPoint));
  const ext = file.endsWith('.css') ? 'css' : 'js';
  manifest[`${name}.${ext}`] = basename(file);
  if (meta.cssBundle) manifest[`${name}.css`] = basename(meta.cssBundle);
}
const worker = join(here, 'node_modules', 'maplibre-gl', 'dist', 'maplibre-gl-worker.mjs');
const digest = createHash('sha256').update(readFileSync(worker)).digest('hex').slice(0, 8).toUpperCase();
manifest['maplibre-worker.js'] = `maplibre-worker-${digest}.js`;
copyFileSync(worker, join(out, manifest['maplibre-worker.js']));
// The service worker keeps this version's files (its own name is fixed: the page registers /map/sw.js).
const shellFiles = Object.values(manifest).map((f) => `/static/web/${f}`);
const version = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 12);
await build({
  absWorkingDir: here, entryPoints: ['src/sw.js'], bundle: true, minify: true, outfile: join(out, 'sw.js'),
  define: { SHELL_FILES: JSON.stringify(shellFiles), SHELL_VERSION: JSON.stringify(version) }, logLevel: 'warning',
});
manifest['sw.js'] = 'sw.js';
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
// Compressed copies beside each file: WhiteNoise sends the smallest the browser accepts (brotli, then gzip).
for (const file of readdirSync(out)) {
  if (!/\.(js|css)$/.test(file)) continue;
  const body = readFileSync(join(out, file));
  writeFileSync(join(out, `${file}.gz`), gzipSync(body, { level: 9 }));
  writeFileSync(join(out, `${file}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
}
console.log(JSON.stringify({ event: 'web build', files: manifest, ms: Date.now() - started }));
