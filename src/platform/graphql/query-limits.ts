import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';

/** Mercurius counts depth through fragments: the standard introspection query (GraphiQL's) measures 15. */
export const MAX_DEPTH = 16;
export const MAX_ALIASES = 30;
export const MAX_TOKENS = 5_000;
export const MAX_COMPLEXITY = 50_000;

// Lists whose length is not set by a `first` argument: how many items to expect at most, roughly.
const FAN_OUT: Record<string, number> = { evidence: 50, timeline: 20 };

// A `first` left out counts as the most it may be.
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
        context.reportError(
          new GraphQLError(`The query uses more than ${MAX_ALIASES} aliases.`, { extensions: { code: 'QUERY_TOO_COMPLEX' } }),
        );
      }
    },
  };
}

/** Validation rules (cached per query text by Mercurius, so they see no variables): the alias limit. */
export function queryLimitRules(): ValidationRule[] {
  return [aliasLimit as ValidationRule];
}

const costOf = new WeakMap<DocumentNode, number>();

/**
 * The cost limit, checked before execution with the request's variables: a `first` given as a
 * variable counts at its value. (As a validation rule it would run without them, and an operation
 * with a required variable would fail there, or escape the limit.)
 */
export function assertComplexityLimit(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string,
): void {
  // Mercurius hands over the same parsed document for the same query text: without variables its
  // cost cannot change, so it is measured once.
  const fixed = document.definitions.every((d) => d.kind !== Kind.OPERATION_DEFINITION || !d.variableDefinitions?.length);
  let cost = fixed ? costOf.get(document) : undefined;
  if (cost === undefined) {
    try {
      cost = getComplexity({
        schema,
        query: document,
        variables: variables ?? {},
        estimators: [estimator],
        ...(operationName ? { operationName } : {}),
      });
    } catch {
      // Variables that do not fit their types: graphql-js reports them precisely when it executes.
      return;
    }
    if (fixed) costOf.set(document, cost);
  }
  if (cost > MAX_COMPLEXITY) {
    throw new GraphQLError(
      `The query would cost ${cost}, over the limit of ${MAX_COMPLEXITY}: ask for fewer items (first) or fewer nested lists.`,
      {
        extensions: { code: 'QUERY_TOO_COMPLEX' },
      },
    );
  }
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
