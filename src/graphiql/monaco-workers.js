/*
 * Tells Monaco where its web workers live. Imported before anything that loads Monaco, because the
 * editors ask `MonacoEnvironment.getWorker` the moment they start.
 *
 * MONACO_WORKER_FILES is replaced at build time by scripts/build-graphiql.mjs with the hashed file
 * names of the worker bundles, e.g. { editor: 'editor.worker-ABC.js', … }. The workers sit in the
 * same directory as every chunk of this bundle, so resolving against import.meta.url finds them
 * whatever path prefix the page is served under.
 */
/* global MONACO_WORKER_FILES */

function workerFor(label) {
  // Labels come from the Monaco languages GraphiQL registers: 'graphql' for the operation editor,
  // 'json' for variables, headers and the response; everything else uses the generic editor worker.
  if (label === 'graphql') return MONACO_WORKER_FILES.graphql;
  if (label === 'json') return MONACO_WORKER_FILES.json;
  return MONACO_WORKER_FILES.editor;
}

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    return new Worker(new URL(workerFor(label), import.meta.url), { name: `monaco-${label}` });
  },
};
