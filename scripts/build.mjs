#!/usr/bin/env node
// Compiles the TypeScript (tsc: type-checks and keeps decorator metadata) and bundles GraphiQL.
// `--if-stale` skips the work when dist/ is newer than every source, so `npm start` stays fast.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const sources = ['src', 'test', 'scripts', 'bench', 'migrations', 'package.json', 'package-lock.json', 'tsconfig.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const ifStale = process.argv.includes('--if-stale');
// A deployment (the Docker image) carries dist/ without its sources: it runs what was built.
if (ifStale && existsSync(stamp) && !existsSync(join(root, 'src'))) process.exit(0);
if (ifStale && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  if (sources.every((s) => newest(join(root, s)) <= built)) process.exit(0);
}

const started = Date.now();
process.stderr.write('building MineWatch (tsc) …\n');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
  cwd: root,
});
if (tsc.status !== 0) {
  process.stderr.write('build failed: TypeScript reported errors\n');
  process.exit(tsc.status ?? 1);
}

const graphiqlScript = join(root, 'scripts', 'build-graphiql.mjs');
if (existsSync(graphiqlScript)) {
  const { buildGraphiql } = await import(pathToFileURL(graphiqlScript).href);
  await buildGraphiql({ outDir: join(root, 'dist', 'graphiql') });
}

mkdirSync(dirname(stamp), { recursive: true });
writeFileSync(stamp, new Date().toISOString() + '\n');
process.stderr.write(`built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
