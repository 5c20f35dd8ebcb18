// Bundles the GraphiQL page (src/graphiql/app.jsx) with esbuild into static files the service serves
// itself: graphiql 5 ships only ESM with bare imports and the GraphQL drivers' built-in GraphiQL loads
// from a CDN, neither of which works for an analyst who is offline.
//
//   node scripts/build-graphiql.mjs [--out-dir <dir>] [--base-path /graphiql/]
//
// Output (every name under assets/ carries a content hash, so it may be cached forever):
//   index.html                     the page; must not be cached, it names the current hashes
//   assets/app-<hash>.js           ES module entry, loads assets/chunk-<hash>.js on demand
//   assets/app-<hash>.css          graphiql's style.css (Monaco's CSS and the fonts inlined) + page CSS
//   assets/*.worker-<hash>.js      Monaco editor, JSON and GraphQL language workers (classic scripts)
// Fonts (Roboto, Fira Code, Monaco's codicon) come inlined as data: URLs in graphiql's style.css.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = 'src/graphiql/app.jsx';
const assetsDirName = 'assets';
// GraphiQL 5 and Monaco 0.52 already need an evergreen browser; es2022 leaves their syntax as shipped.
const target = 'es2022';

// Labels Monaco passes to MonacoEnvironment.getWorker (see src/graphiql/monaco-workers.js).
const workerEntries = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
};

// graphiql/style.css already carries Monaco 0.52's whole editor.main.css with the codicon font inlined
// (@graphiql/react pins that exact Monaco version). Monaco's ESM sources also import their own CSS
// piece by piece; bundling both would ship the editor CSS twice, plus CSS files for lazy chunks that
// esbuild emits but nothing loads. So Monaco's own CSS imports are dropped, and the build checks
// below that the stylesheet still styles the editor.
const monacoCssFromGraphiqlStyle = {
  name: 'monaco-css-from-graphiql-style',
  setup(build) {
    build.onResolve({ filter: /\.css$/ }, (args) =>
      /[\\/]node_modules[\\/]monaco-editor[\\/]/.test(args.importer) ? { path: args.path, namespace: 'monaco-css-dropped' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'monaco-css-dropped' }, () => ({ contents: '', loader: 'empty' }));
  },
};

const common = {
  absWorkingDir: repoRoot,
  bundle: true,
  minify: true,
  target,
  platform: 'browser',
  // The bundled libraries (React, Monaco, GraphiQL, …) are MIT: their notices travel with the code.
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
  define: { 'process.env.NODE_ENV': '"production"' },
};

/**
 * Builds the page into `outDir` (default dist/graphiql) and returns what it wrote.
 * `basePath` is the URL path the page is served under; index.html names its assets absolutely from it
 * so that both /graphiql and /graphiql/ load the same page without a redirect.
 */
export async function buildGraphiql({ outDir = join(repoRoot, 'dist/graphiql'), basePath = '/graphiql/' } = {}) {
  if (!basePath.startsWith('/') || !basePath.endsWith('/')) {
    throw new Error(`basePath must start and end with "/", got ${JSON.stringify(basePath)}`);
  }
  const started = performance.now();
  const assetsDir = join(outDir, assetsDirName);
  // Only this script writes these two paths; clearing them drops hashes from earlier builds.
  await rm(assetsDir, { recursive: true, force: true });
  await rm(join(outDir, 'index.html'), { force: true });
  await mkdir(assetsDir, { recursive: true });

  const workers = await esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(Object.entries(workerEntries).map(([label, path]) => [`${label}.worker`, path])),
    format: 'iife',
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
  });
  const workerFiles = {};
  for (const [file, output] of Object.entries(workers.metafile.outputs)) {
    const label = Object.keys(workerEntries).find((name) => output.entryPoint?.includes(workerEntries[name]));
    if (label) workerFiles[label] = posix.basename(file);
  }

  const app = await esbuild.build({
    ...common,
    entryPoints: { app: entry },
    format: 'esm',
    splitting: true,
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    jsx: 'automatic',
    plugins: [monacoCssFromGraphiqlStyle],
    // Fonts are inlined in graphiql's CSS today; should one arrive as a file, emit it beside the CSS.
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
    define: { ...common.define, MONACO_WORKER_FILES: JSON.stringify(workerFiles) },
  });
  const [appJs, appOutput] = Object.entries(app.metafile.outputs).find(([, output]) => output.entryPoint === entry);
  const appCss = appOutput.cssBundle;
  await checkStylesheet(app.metafile, appCss);
  checkSingleCopies(app.metafile);

  const assetUrl = (file) => `${basePath}${assetsDirName}/${posix.basename(file)}`;
  const html = renderHtml({ script: assetUrl(appJs), stylesheet: assetUrl(appCss) });
  await writeFile(join(outDir, 'index.html'), html);

  const outputs = { ...workers.metafile.outputs, ...app.metafile.outputs };
  const files = ['index.html', ...Object.keys(outputs).map((file) => relative(outDir, join(repoRoot, file)))].sort();
  const bytes = Object.values(outputs).reduce((sum, output) => sum + output.bytes, Buffer.byteLength(html));
  return { outDir, files, bytes, millis: Math.round(performance.now() - started) };
}

// index.html links one stylesheet: CSS anywhere else would never load, and without Monaco's rules
// (see monacoCssFromGraphiqlStyle) the editors render as unstyled text.
async function checkStylesheet(metafile, appCss) {
  const stray = Object.keys(metafile.outputs).filter((file) => file.endsWith('.css') && file !== appCss);
  if (stray.length > 0) throw new Error(`CSS outside the page's stylesheet would never load: ${stray.join(', ')}`);
  const css = await readFile(join(repoRoot, appCss), 'utf8');
  for (const needle of ['.monaco-editor', 'font-family:codicon', '.graphiql-container']) {
    if (!css.includes(needle)) throw new Error(`${appCss} lacks ${needle}: did graphiql/style.css stop bundling Monaco's CSS?`);
  }
}

// React hooks and GraphiQL's store live in module state: the page's own imports of react and
// @graphiql/react must reach the very copies graphiql uses, or hooks throw and the key follower reads
// an empty store. npm dedupes them while the declared ranges agree; fail the build when it cannot.
const singleCopyPackages = ['react', 'react-dom', '@graphiql/react', '@graphiql/toolkit', 'monaco-editor', 'graphql'];
function checkSingleCopies(metafile) {
  for (const name of singleCopyPackages) {
    const marker = `node_modules/${name}/`;
    const roots = new Set(
      Object.keys(metafile.inputs)
        .filter((input) => input.includes(marker))
        .map((input) => input.slice(0, input.lastIndexOf(marker) + marker.length)),
    );
    if (roots.size > 1) throw new Error(`The bundle holds ${roots.size} copies of ${name}: ${[...roots].join(', ')}`);
  }
}

function renderHtml({ script, stylesheet }) {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>MineWatch GraphiQL</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${stylesheet}" />
    <script type="module" src="${script}"></script>
  </head>
  <body>
    <div id="graphiql"><noscript>GraphiQL needs JavaScript.</noscript></div>
  </body>
</html>
`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  const { values } = parseArgs({ options: { 'out-dir': { type: 'string' }, 'base-path': { type: 'string' } } });
  const result = await buildGraphiql({
    outDir: values['out-dir'] ? resolve(values['out-dir']) : undefined,
    basePath: values['base-path'],
  });
  console.log(
    `graphiql: ${result.files.length} files, ${(result.bytes / 1024 / 1024).toFixed(1)} MiB in ${relative(process.cwd(), result.outDir) || '.'} (${result.millis} ms)`,
  );
}
