import { setFlagsFromString } from 'node:v8';

/**
 * Garbage collector setting for a service that streams large bodies: V8 lets the old generation
 * grow up to fourfold between full collections, so a process whose live heap is under 100 MB sat at
 * 450 MB resident while a 1 GB export streamed through it. A heap that grows by a quarter at most
 * between collections keeps it far lower at the same speed (`npm run bench -- focus`). This flag is
 * read at every collection, so it can be set here; the young generation's size is fixed when the
 * process starts, which is why `npm start` passes `--max-semi-space-size=16` (Node 24 would size it
 * from the machine's memory, up to 64 MB per semi-space). A value given on the command line or in
 * NODE_OPTIONS wins.
 */
export function tuneHeap(argv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS'] ?? ''): void {
  const given = argv.some((a) => a.startsWith('--heap-growing-percent')) || nodeOptions.includes('--heap-growing-percent');
  if (!given) setFlagsFromString('--heap-growing-percent=25');
}

tuneHeap();
