/*
 * MineWatch's GraphiQL page. Bundled by scripts/build-graphiql.mjs into dist/graphiql/ so the page and
 * every asset come from the service itself: analysts may be offline, and nothing here may reach
 * another host. These files are JSX on purpose: the project's tsc (no DOM lib, no JSX) ignores them.
 */
import './monaco-workers.js';
import 'graphiql/style.css';
import './page.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode, useCallback, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiKeyFollower } from './api-key-follower.jsx';
import { INCIDENT_EVENTS_SUBSCRIPTION, INCIDENT_EVIDENCE_QUERY, INCIDENT_EVIDENCE_VARIABLES, OPEN_INCIDENTS_QUERY } from './examples.js';
import { PLACEHOLDER_AUTHORIZATION, bearer, headersWith } from './headers.js';

/*
 * A link such as /graphiql/#key=mw_… hands the page an API key. The fragment never reaches the server;
 * drop it from the address bar and history at once so the key is not bookmarked, shared or left behind.
 * Parsed by hand: URLSearchParams would turn a "+" in the key into a space.
 */
function takeApiKeyFromFragment() {
  const parts = window.location.hash.slice(1).split('&');
  const keyPart = parts.find((part) => part.startsWith('key='));
  if (keyPart === undefined) return undefined;
  const rest = parts.filter((part) => part !== keyPart && part !== '').join('&');
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : ''}`);
  let key;
  try {
    key = decodeURIComponent(keyPart.slice('key='.length)).trim();
  } catch {
    return undefined;
  }
  return key || undefined;
}

const wsProtocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
const httpFetcher = createGraphiQLFetcher({
  url: new URL('/graphql', window.location.origin).href,
  // Subscriptions go over graphql-ws on the same origin; the headers editor's JSON becomes the
  // connection_init payload, so the API key travels there too.
  subscriptionUrl: `${wsProtocol}//${window.location.host}/graphql`,
  // The API answers plain JSON (no @defer/@stream), so the multipart fetcher would only add overhead.
  enableIncrementalDelivery: false,
});

function MineWatchGraphiQL({ apiKey }) {
  const authorization = apiKey ? bearer(apiKey) : PLACEHOLDER_AUTHORIZATION;
  const headers = headersWith(authorization);
  /*
   * GraphiQL fetches the schema as it mounts, before the lazily created headers editor exists, so
   * that request would carry no headers and the API would answer 401. Until the editor exists, send
   * the headers it is about to show; after that, exactly what the analyst left in it.
   */
  const headersEditorReady = useRef(false);
  const [fetcher] = useState(() => (params, options) => {
    const useInitialHeaders = !headersEditorReady.current && !options?.headers;
    return httpFetcher(params, useInitialHeaders ? { ...options, headers: JSON.parse(headers) } : options);
  });
  const onHeadersEditorReady = useCallback(() => {
    headersEditorReady.current = true;
  }, []);

  return (
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={[
        { query: OPEN_INCIDENTS_QUERY, headers },
        { query: INCIDENT_EVIDENCE_QUERY, variables: INCIDENT_EVIDENCE_VARIABLES, headers },
        { query: INCIDENT_EVENTS_SUBSCRIPTION, headers },
      ]}
      // Headers are not persisted (keys stay out of localStorage), so tabs restored from an earlier
      // visit carry none: every tab, new or restored, starts from these.
      initialHeaders={headers}
      defaultHeaders={headers}
      isHeadersEditorEnabled
      defaultEditorToolsVisibility={apiKey ? true : 'headers'}
    >
      <GraphiQL.Logo>MineWatch</GraphiQL.Logo>
      <ApiKeyFollower initialAuthorization={authorization} onHeadersEditorReady={onHeadersEditorReady} />
    </GraphiQL>
  );
}

createRoot(document.getElementById('graphiql')).render(
  <StrictMode>
    <MineWatchGraphiQL apiKey={takeApiKeyFromFragment()} />
  </StrictMode>,
);
