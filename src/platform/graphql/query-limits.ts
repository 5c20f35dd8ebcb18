import { GraphQLError, Lexer, Source, TokenKind, type ValidationContext, type ValidationRule } from 'graphql';
import { type ComplexityEstimator, createComplexityRule } from 'graphql-query-complexity';

/** Mercurius counts depth through fragments: the standard introspection query (GraphiQL's) measures 15. */
export const MAX_DEPTH = 16;
export const MAX_ALIASES = 30;
export const MAX_TOKENS = 5_000;
export const MAX_COMPLEXITY = 50_000;

// Lists whose length is not set by a `first` argument: how many items to expect at most, roughly.
const FAN_OUT: Record<string, number> = { evidence: 50, timeline: 20 };

// Rules are fixed (Mercurius caches validated queries), so a `first` given as a variable is not
// known here and counts as the most it may be.
const estimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if ('first' in field.args.reduce((o, a) => ({ ...o, [a.name]: true }), {} as Record<string, boolean>)) {
    const first = typeof args['first'] === 'number' ? args['first'] : 100;
    return 1 + childComplexity * Math.max(1, first);
  }
  return 1 + childComplexity * (FAN_OUT[field.name] ?? 1);
};

function aliasLimit(context: ValidationContext) {
  let aliases = 0;
  return {
    Field(node: { alias?: unknown }) {
      if (node.alias && ++aliases === MAX_ALIASES + 1) {
        context.reportError(new GraphQLError(`The query uses more than ${MAX_ALIASES} aliases.`, { extensions: { code: 'QUERY_TOO_COMPLEX' } }));
      }
    },
  };
}

/** Validation rules: cost from `first` and known fan-outs, and an alias limit. */
export function queryLimitRules(): ValidationRule[] {
  return [
    createComplexityRule({
      maximumComplexity: MAX_COMPLEXITY,
      estimators: [estimator],
      createError: (max, actual) =>
        new GraphQLError(`The query would cost ${actual}, over the limit of ${max}: ask for fewer items (first) or fewer nested lists.`, {
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        }),
    }) as ValidationRule,
    aliasLimit as ValidationRule,
  ];
}

/** Counted before parsing, so a huge document is refused without building its syntax tree. */
export function assertTokenLimit(source: string): void {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++count > MAX_TOKENS) {
        throw new GraphQLError(`The query has more than ${MAX_TOKENS} tokens.`, { extensions: { code: 'QUERY_TOO_COMPLEX' } });
      }
    }
  } catch (error) {
    // Syntax errors are the parser's to report, with its better message.
    if (error instanceof GraphQLError && error.extensions['code'] === 'QUERY_TOO_COMPLEX') throw error;
  }
}
