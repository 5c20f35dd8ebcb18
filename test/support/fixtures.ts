import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Repository root: tests run from it (npm test), compiled into dist/test/…. */
export const repoRoot = process.cwd();

export function fixturePath(relative: string): string {
  return join(repoRoot, 'test', 'fixtures', relative);
}

export function readFixture<T = unknown>(relative: string): T {
  return JSON.parse(readFileSync(fixturePath(relative), 'utf8')) as T;
}

export function readFixtureText(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8');
}
