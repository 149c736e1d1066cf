// Bundle the pages' scripts and styles with esbuild into static/web/ under content-hashed names, with a manifest
// (name -> hashed file) the server reads. MapLibre's worker is copied beside them, hashed too.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'static', 'web');
const started = Date.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const entries = { map: 'src/map-page.js', command: 'src/command-page.js', reports: 'src/reports-page.js', signin: 'src/signin.css' };
const result = await build({
  absWorkingDir: here,
  entryPoints: entries,
  bundle: true,
  format: 'esm',
  // Code split: the video players (hls.js, mpegts.js) load when a picture is first opened, not with the page.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
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
// The chunks a page's script imports before it runs (shared code; not the players it imports when asked for): the
// offline shell keeps them, and the page's budget counts them.
const imports = {};
const outputs = result.metafile.outputs;
const staticImports = (file, seen = new Set()) => {
  for (const i of outputs[file].imports) {
    if (i.kind === 'import-statement' && !seen.has(i.path)) { seen.add(i.path); staticImports(i.path, seen); }
  }
  return seen;
};
for (const [file, meta] of Object.entries(outputs)) {
  const name = Object.keys(entries).find((k) => meta.entryPoint && join(here, entries[k]) === join(here, meta.entryPoint));
  if (!name) continue; // a chunk, or a module a library imports dynamically
  const ext = file.endsWith('.css') ? 'css' : 'js';
  manifest[`${name}.${ext}`] = basename(file);
  if (meta.cssBundle) manifest[`${name}.css`] = basename(meta.cssBundle);
  if (ext === 'js') imports[name] = [...staticImports(file)].map((f) => relative(out, join(here, f)).split(sep).join('/'));
}
const worker = join(here, 'node_modules', 'maplibre-gl', 'dist', 'maplibre-gl-worker.mjs');
const digest = createHash('sha256').update(readFileSync(worker)).digest('hex').slice(0, 8).toUpperCase();
manifest['maplibre-worker.js'] = `maplibre-worker-${digest}.js`;
copyFileSync(worker, join(out, manifest['maplibre-worker.js']));
// Cesium's workers, third-party decoders and assets, loaded by Cesium itself under fixed names: copied into a folder
// named for the engine's version, which changes whenever they do (a year's cache stays right).
const engine = join(here, 'node_modules', '@cesium', 'engine');
const cesiumVersion = JSON.parse(readFileSync(join(engine, 'package.json'), 'utf8')).version;
manifest['cesium/'] = `cesium-${cesiumVersion}/`;
for (const [from, to] of [['Build/Workers', 'Workers'], ['Build/ThirdParty', 'ThirdParty'], ['Source/Assets', 'Assets']]) {
  cpSync(join(engine, from), join(out, manifest['cesium/'], to), { recursive: true });
}
// The map page's service worker keeps that page's files (its own name is fixed: the page registers /map/sw.js); the
// command centre is a wall screen on the park's network and is not cached for offline use.
const shellFiles = [...Object.entries(manifest).filter(([k]) => !['command', 'cesium', 'reports'].some((p) => k.startsWith(p)))
  .map(([, f]) => f), ...imports.map].map((f) => `/static/web/${f}`);
const version = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 12);
await build({
  absWorkingDir: here, entryPoints: ['src/sw.js'], bundle: true, minify: true, outfile: join(out, 'sw.js'),
  define: { SHELL_FILES: JSON.stringify(shellFiles), SHELL_VERSION: JSON.stringify(version) }, logLevel: 'warning',
});
manifest['sw.js'] = 'sw.js';
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
writeFileSync(join(out, 'imports.json'), JSON.stringify(imports, null, 1));
// Compressed copies beside each file: WhiteNoise sends the smallest the browser accepts (brotli, then gzip).
for (const file of readdirSync(out, { recursive: true })) {
  if (!/\.(js|css|json|wasm)$/.test(file) || file === 'manifest.json' || file === 'imports.json') continue;
  const body = readFileSync(join(out, file));
  writeFileSync(join(out, `${file}.gz`), gzipSync(body, { level: 9 }));
  writeFileSync(join(out, `${file}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
}
console.log(JSON.stringify({ event: 'web build', files: manifest, ms: Date.now() - started }));
