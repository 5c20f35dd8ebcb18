#!/usr/bin/env node
/**
 * `minewatch ingest <source> <file|->`: sends a file (or standard input) to the ingest path.
 * With MINEWATCH_URL set it POSTs to that running instance (key from MINEWATCH_API_KEY or
 * $MINEWATCH_DATA_DIR/admin.key), streaming the file; otherwise it starts the service in-process
 * on the embedded database in MINEWATCH_DATA_DIR, as `npm run demo` does, and hands the file to the
 * same IngestionService the API uses (CSV and NDJSON batch by batch, never held whole).
 * Prints `{ accepted, duplicates, ignored, costRows, costAnomalies }` on stdout, progress on stderr.
 */
import 'reflect-metadata';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { ConfigError, loadConfig, type AppConfig } from '#src/config/config.js';
import type { IngestResult } from '#src/modules/ingestion/ingestion.service.js';
import type { Problem } from '#src/platform/errors/problem.filter.js';

const USAGE = `usage: minewatch ingest <source> <file|-> [--type csv|ndjson|json] [--query name=value]…

  <source>   an ingest source: focus, azure.cost, gcp.billing, aws.guardduty, signals, …
  <file|->   the payload; - reads standard input
  --type     the body's format when the file name does not say it (.csv, .ndjson/.jsonl, .json)
  --query    a query parameter of the source (kubernetes: provider, accountId, region, cluster)

MINEWATCH_URL (with MINEWATCH_API_KEY) sends to a running instance; without it the service runs
in-process on the embedded database in MINEWATCH_DATA_DIR.`;

const TYPES: Record<string, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson', json: 'application/json' };

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

class UsageError extends Error {}

interface Command {
  source: string;
  file: string;
  type: string | null;
  query: Record<string, string>;
}

function parseArgs(argv: string[]): Command {
  const positional: string[] = [];
  const query: Record<string, string> = {};
  let type: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--type') {
      const value = argv[++i];
      if (!value || !TYPES[value]) throw new UsageError(`--type must be one of ${Object.keys(TYPES).join(', ')}`);
      type = TYPES[value]!;
    } else if (arg === '--query') {
      const [name, ...rest] = (argv[++i] ?? '').split('=');
      if (!name || rest.length === 0) throw new UsageError('--query takes name=value');
      query[name] = rest.join('=');
    } else if (arg === '-h' || arg === '--help') throw new UsageError('');
    else positional.push(arg);
  }
  const [command, source, file, ...extra] = positional;
  if (command !== 'ingest' || !source || !file || extra.length > 0) throw new UsageError('');
  return { source, file, type, query };
}

/** The media type of the file by its name, or of standard input by its first bytes. */
function typeOfName(file: string): string | null {
  const ext = extname(file.replace(/\.gz$/, '')).toLowerCase();
  return ext === '.csv'
    ? TYPES['csv']!
    : ext === '.ndjson' || ext === '.jsonl'
      ? TYPES['ndjson']!
      : ext === '.json'
        ? TYPES['json']!
        : null;
}

async function sniff(input: Readable): Promise<{ type: string; body: Readable }> {
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Buffer);
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  let type = TYPES['csv']!;
  if (text.startsWith('[')) type = TYPES['json']!;
  else if (text.startsWith('{')) {
    // One JSON document per line is NDJSON; a document spread over lines is JSON.
    const line = text.split('\n')[0]!;
    try {
      JSON.parse(line);
      type = TYPES['ndjson']!;
    } catch {
      type = TYPES['json']!;
    }
  }
  async function* rest() {
    if (!first.done) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }
  return { type, body: Readable.from(rest()) };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Counts the bytes read from `input` and reports them every two seconds. */
function withProgress(input: Readable, total: number | null): Readable {
  let bytes = 0;
  let last = Date.now();
  input.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (Date.now() - last >= 2000) {
      last = Date.now();
      say(`  read ${mb(bytes)}${total ? ` of ${mb(total)} (${Math.round((bytes / total) * 100)} %)` : ''}`);
    }
  });
  return input;
}

function printProblem(problem: Problem): void {
  say(`${problem.status} ${problem.title}: ${problem.detail}`);
  const errors = problem.errors ?? [];
  for (const e of errors.slice(0, 20)) say(`  ${e.index ?? '-'} ${e.field || '/'}: ${e.message}`);
  if (errors.length > 20) say(`  … and ${errors.length - 20} more`);
}

function summary(result: Pick<IngestResult, 'accepted' | 'duplicates' | 'ignored' | 'costRows' | 'costAnomalies'>): string {
  const { accepted, duplicates, ignored, costRows, costAnomalies } = result;
  return JSON.stringify({ accepted, duplicates, ignored, costRows, costAnomalies });
}

function apiKey(config: AppConfig): string | undefined {
  const file = join(config.dataDir, 'admin.key');
  return config.apiKey ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
}

async function overHttp(url: string, config: AppConfig, cmd: Command, input: Readable, type: string, size: number | null): Promise<number> {
  const key = apiKey(config);
  if (!key) throw new UsageError('MINEWATCH_URL is set but no key: set MINEWATCH_API_KEY (a key with the ingest scope)');
  const target = new URL(`/v1/ingest/${encodeURIComponent(cmd.source)}`, url);
  for (const [name, value] of Object.entries(cmd.query)) target.searchParams.set(name, value);
  say(`Sending ${cmd.file === '-' ? 'standard input' : cmd.file} to ${target.origin} as ${type}`);
  const res = await fetch(target, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': type, ...(size !== null ? { 'content-length': String(size) } : {}) },
    body: withProgress(input, size) as unknown as RequestInit['body'],
    duplex: 'half',
  } as RequestInit);
  const text = await res.text();
  const body = text ? (JSON.parse(text) as IngestResult & Problem) : null;
  if (!res.ok || !body) {
    if (body?.title) printProblem(body);
    else say(`${res.status}: ${text}`);
    return 1;
  }
  process.stdout.write(summary(body) + '\n');
  return 0;
}

async function inProcess(config: AppConfig, cmd: Command, input: Readable, type: string, size: number | null): Promise<number> {
  // The whole service loads only here: sending to a running instance stays quick to start.
  const [{ createApp }, { IngestionService }, { toProblem }, { resolveDatabase }, { runMigrationsLocked }] = await Promise.all([
    import('#src/bootstrap.js'),
    import('#src/modules/ingestion/ingestion.service.js'),
    import('#src/platform/errors/problem.filter.js'),
    import('#src/platform/database/resolve-database.js'),
    import('#src/platform/database/migrator.js'),
  ]);
  say(`Starting MineWatch in-process on the embedded database in ${config.dataDir}`);
  const { url, embedded } = await resolveDatabase(config, say);
  let app: Awaited<ReturnType<typeof createApp>> | null = null;
  try {
    await runMigrationsLocked(url);
    // The service's log goes to stdout, which carries the result: only warnings, unless asked.
    app = await createApp({ ...config, logLevel: process.env['LOG_LEVEL'] ? config.logLevel : 'warn' }, url);
    const ingestion = app.get(IngestionService);
    let last = Date.now();
    const result =
      type === TYPES['json']
        ? await ingestion.ingest(cmd.source, await text(input), type, cmd.query)
        : await ingestion.ingestStream(cmd.source, input, type, cmd.query, {
            // A local file is as large as its owner wants: the HTTP limit does not apply.
            maxBytes: Number.MAX_SAFE_INTEGER,
            onProgress: (p) => {
              if (Date.now() - last < 2000) return;
              last = Date.now();
              say(
                `  read ${mb(p.bytes)}${size ? ` of ${mb(size)}` : ''}: ${p.records.toLocaleString('en-US')} records, ${p.costRows.toLocaleString('en-US')} cost rows, ${p.signals.toLocaleString('en-US')} signals`,
              );
            },
          });
    process.stdout.write(summary(result) + '\n');
    return 0;
  } catch (error) {
    const problem = toProblem(error);
    if (problem.status >= 500) throw error;
    printProblem(problem);
    return 1;
  } finally {
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
  }
}

async function text(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) say(error.message);
    say(USAGE);
    return 2;
  }
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      say(error.message);
      return 2;
    }
    throw error;
  }
  let input: Readable;
  let size: number | null = null;
  let type = cmd.type ?? (cmd.file === '-' ? null : typeOfName(cmd.file));
  if (cmd.file === '-') input = process.stdin;
  else {
    if (!existsSync(cmd.file)) {
      say(`${cmd.file}: no such file`);
      return 2;
    }
    size = statSync(cmd.file).size;
    input = createReadStream(cmd.file, { highWaterMark: 1024 * 1024 });
  }
  if (type === null) {
    const sniffed = await sniff(input);
    type = sniffed.type;
    input = sniffed.body;
  }
  const url = process.env['MINEWATCH_URL'];
  try {
    return url ? await overHttp(url, config, cmd, input, type, size) : await inProcess(config, cmd, input, type, size);
  } catch (error) {
    if (error instanceof UsageError) {
      say(error.message);
      return 2;
    }
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`minewatch: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
