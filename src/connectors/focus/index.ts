import { FOCUS_SOURCE, parseFocus } from '#src/connectors/focus/focus.parser.js';
import type { Parser } from '#src/connectors/signal.js';

/** The FOCUS ingest parser, keyed by the `{source}` of `POST /v1/ingest/{source}`. */
export const focusParsers: Record<string, Parser> = {
  [FOCUS_SOURCE]: parseFocus,
};
