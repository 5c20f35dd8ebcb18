import { useGraphiQL, useGraphiQLActions } from '@graphiql/react';
import { useEffect, useRef } from 'react';
import { PLACEHOLDER_AUTHORIZATION, authorizationOf, replaceAuthorization } from './headers.js';

// How long the Authorization header must stay unchanged before the schema is fetched again with it,
// so typing a key does not send one introspection query per keystroke.
const SCHEMA_REFETCH_DELAY_MS = 600;

/**
 * Keeps the API key in the headers editor in step with the rest of GraphiQL. Rendered as a child of
 * <GraphiQL>, which places it inside GraphiQL's store provider.
 * - GraphiQL fetches the schema once, at start; when the analyst pastes or changes a key, fetch it
 *   again so completion and the docs work without pressing "re-fetch schema".
 * - A new tab opens with the placeholder headers; give it the key already entered on this page.
 * - Reports when the headers editor exists, i.e. when GraphiQL starts sending its contents.
 */
export function ApiKeyFollower({ initialAuthorization, onHeadersEditorReady }) {
  const headerEditor = useGraphiQL((state) => state.headerEditor);
  const activeTabIndex = useGraphiQL((state) => state.activeTabIndex);
  const { introspect } = useGraphiQLActions();
  const schemaAuthorization = useRef(initialAuthorization);
  const enteredAuthorization = useRef(initialAuthorization === PLACEHOLDER_AUTHORIZATION ? null : initialAuthorization);

  useEffect(() => {
    if (!headerEditor) return undefined;
    onHeadersEditorReady();
    let timer;
    const subscription = headerEditor.onDidChangeModelContent(() => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const authorization = authorizationOf(headerEditor.getValue());
        if (authorization === undefined || authorization === schemaAuthorization.current) return;
        schemaAuthorization.current = authorization;
        if (authorization && authorization !== PLACEHOLDER_AUTHORIZATION) enteredAuthorization.current = authorization;
        introspect();
      }, SCHEMA_REFETCH_DELAY_MS);
    });
    return () => {
      clearTimeout(timer);
      subscription.dispose();
    };
  }, [headerEditor, introspect, onHeadersEditorReady]);

  useEffect(() => {
    const text = headerEditor?.getValue();
    if (text === undefined || !enteredAuthorization.current) return;
    if (authorizationOf(text) === PLACEHOLDER_AUTHORIZATION) {
      headerEditor.setValue(replaceAuthorization(text, enteredAuthorization.current));
    }
  }, [headerEditor, activeTabIndex]);

  return null;
}
