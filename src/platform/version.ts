import { readFileSync } from 'node:fs';

// package.json sits two levels above dist/src/platform/ and src/platform/ alike.
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
export const PRODUCT_VERSION = pkg.version;
