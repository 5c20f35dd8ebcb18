// The GraphiQL page must work offline: index.html and everything it pulls in come from the service,
// and no emitted file points the browser at a CDN. Builds the real bundle into a temp directory.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

interface GraphiqlBuild {
  buildGraphiql(options: { outDir: string; basePath?: string }): Promise<{ files: string[] }>;
}

const basePath = '/graphiql/';
const cdnHosts = [
  'unpkg.com',
  'cdn.jsdelivr.net',
  'esm.sh',
  'esm.run',
  'cdnjs.cloudflare.com',
  'cdn.skypack.dev',
  'ga.jspm.io',
  'fonts.googleapis.com',
  'fonts.gstatic.com',
];

describe('GraphiQL bundle (scripts/build-graphiql.mjs)', () => {
  let outDir: string;
  let html: string;
  let emitted: Map<string, string>;

  before(async () => {
    // Tests run from the repository root, compiled into dist/test/…; the script stays plain ESM.
    const script = pathToFileURL(join(process.cwd(), 'scripts/build-graphiql.mjs')).href;
    const { buildGraphiql } = (await import(script)) as GraphiqlBuild;
    outDir = await mkdtemp(join(tmpdir(), 'minewatch-graphiql-'));
    await buildGraphiql({ outDir, basePath });
    html = await readFile(join(outDir, 'index.html'), 'utf8');
    emitted = new Map();
    for (const name of await readdir(join(outDir, 'assets'))) {
      if (/\.(js|css)$/.test(name)) emitted.set(name, await readFile(join(outDir, 'assets', name), 'utf8'));
    }
  });

  after(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  const assetPath = (url: string): string => join(outDir, url.slice(basePath.length));

  it('writes an index.html titled for MineWatch', () => {
    assert.match(html, /<title>MineWatch GraphiQL<\/title>/);
  });

  it('references only same-origin assets from index.html', () => {
    assert.doesNotMatch(html, /https?:\/\//i, 'index.html names an absolute http(s) URL');
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);
    assert.ok(urls.length >= 2, 'index.html links no assets');
    for (const url of urls) {
      if (url.startsWith('data:')) continue;
      assert.ok(url.startsWith(basePath), `${url} is not under ${basePath}`);
      assert.ok(existsSync(assetPath(url)), `${url} is referenced but was not emitted`);
    }
  });

  it('links the module script and the stylesheet', () => {
    const script = /<script type="module" src="([^"]+\.js)"><\/script>/.exec(html)?.[1];
    const stylesheet = /<link rel="stylesheet" href="([^"]+\.css)"/.exec(html)?.[1];
    assert.ok(script, 'no module script in index.html');
    assert.ok(stylesheet, 'no stylesheet in index.html');
    assert.ok(existsSync(assetPath(script)));
    const css = emitted.get(stylesheet.slice(`${basePath}assets/`.length));
    assert.ok(css, `${stylesheet} was not emitted`);
    assert.ok(css.includes('.graphiql-container'), 'the stylesheet lacks GraphiQL');
    assert.ok(css.includes('.monaco-editor'), 'the stylesheet lacks the Monaco editor');
  });

  it('emits every chunk, worker and font the bundle refers to', () => {
    const workers = new Set<string>();
    for (const [name, text] of emitted) {
      const references = name.endsWith('.js')
        ? [...text.matchAll(/["'`]\.\/([\w.-]+\.js)["'`]/g)].map((match) => match[1]!)
        : [...text.matchAll(/url\(\s*["']?(?!data:)([^"')]+)["']?\s*\)/g)].map((match) => match[1]!);
      for (const reference of references) {
        assert.ok(existsSync(join(outDir, 'assets', reference)), `${name} refers to ${reference}, which was not emitted`);
      }
      for (const match of text.matchAll(/\b((?:editor|json|graphql)\.worker-\w+\.js)\b/g)) workers.add(match[1]!);
    }
    // Monaco asks for these three by label; each must be named in the page code and exist on disk.
    for (const label of ['editor', 'json', 'graphql']) {
      const worker = [...workers].find((file) => file.startsWith(`${label}.worker-`));
      assert.ok(worker, `no ${label} worker is referenced by the bundle`);
      assert.ok(existsSync(join(outDir, 'assets', worker)), `${worker} is referenced but was not emitted`);
    }
  });

  it('points no emitted JS or CSS at a CDN', () => {
    for (const [name, text] of emitted) {
      for (const host of cdnHosts) {
        assert.ok(!text.includes(`//${host}`), `${name} refers to ${host}`);
      }
      assert.doesNotMatch(text, /\bimport\s*\(?\s*["'`]https?:/, `${name} imports a module from another host`);
      assert.doesNotMatch(text, /@import\s+(?:url\()?\s*["']?https?:/, `${name} imports CSS from another host`);
    }
  });
});
