/* The request headers GraphiQL sends: the API wants "Authorization: Bearer <key>" on every request. */

export const PLACEHOLDER_AUTHORIZATION = 'Bearer <paste your API key>';

export function bearer(apiKey) {
  return `Bearer ${apiKey}`;
}

/** The headers editor's text carrying this Authorization value. */
export function headersWith(authorization) {
  return JSON.stringify({ Authorization: authorization }, null, 2);
}

function parseHeaders(headersText) {
  try {
    const parsed = headersText.trim() === '' ? {} : JSON.parse(headersText);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

// HTTP header names are case-insensitive; analysts write either spelling.
function authorizationName(headers) {
  return Object.keys(headers).find((name) => name.toLowerCase() === 'authorization');
}

/**
 * The Authorization value in the headers editor's text: a string, null when there is none, or
 * undefined while the text is not a JSON object (mid-edit), so callers can keep what they had.
 */
export function authorizationOf(headersText) {
  const headers = parseHeaders(headersText);
  if (headers === undefined) return undefined;
  const name = authorizationName(headers);
  return name === undefined ? null : String(headers[name]);
}

/** The same headers text with its Authorization value replaced, other headers kept. */
export function replaceAuthorization(headersText, authorization) {
  const headers = parseHeaders(headersText) ?? {};
  headers[authorizationName(headers) ?? 'Authorization'] = authorization;
  return JSON.stringify(headers, null, 2);
}
