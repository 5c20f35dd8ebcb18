/**
 * Pub/Sub push delivery: SCC notifications and log sinks publish to a topic, and a push
 * subscription POSTs each message wrapped as
 * `{"message": {"data": "<base64>", "attributes", "messageId", "publishTime"}, "subscription"}`
 * (Pub/Sub "Push subscriptions", wrapped payload format; `message_id`/`publish_time` are sent too).
 * The data is the publisher's JSON, base64-encoded.
 */
import { Buffer } from 'node:buffer';

import { IssueList, isObject, joinPointer, own, type Item } from '#src/connectors/common.js';

/** Whether a value is a Pub/Sub push request (`message` holding `data` or `attributes`, plus `subscription`). */
export function isPubSubPush(value: unknown): boolean {
  if (!isObject(value)) return false;
  const message = own(value, 'message');
  return (
    isObject(message) && Object.hasOwn(value, 'subscription') && (Object.hasOwn(message, 'data') || Object.hasOwn(message, 'attributes'))
  );
}

// Pub/Sub sends RFC 4648 base64 with padding; the URL-safe alphabet is accepted too because some
// relays re-encode with it. Node's decoder silently skips characters outside the alphabet, so the
// text is checked first: a truncated or mangled message must be refused, not half-read.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_URL = /^[A-Za-z0-9_-]*$/;

function decodeBase64(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (BASE64.test(compact)) return Buffer.from(compact, 'base64');
  if (BASE64_URL.test(compact) && compact.length % 4 !== 1) return Buffer.from(compact, 'base64url');
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Replaces a push request by the JSON document its `message.data` carries. Fields inside the
 * document are reported below `/message/data` (a pointer cannot enter the encoded string), e.g.
 * `/message/data/finding/eventTime`. The envelope is kept on the item for its attributes and times.
 */
export function unwrapPubSubPush(item: Item, issues: IssueList): Item | null {
  if (!isPubSubPush(item.value)) return item;
  const envelope = item.value as Record<string, unknown>;
  const message = own(envelope, 'message') as Record<string, unknown>;
  const field = joinPointer(item.pointer, ['message', 'data']);
  const data = own(message, 'data');
  if (typeof data !== 'string' || data.length === 0) {
    issues.add(
      item.index,
      field,
      data === undefined || data === '' ? 'is required: the message carries no data' : 'must be a base64 string',
    );
    return null;
  }
  const bytes = decodeBase64(data);
  if (bytes === null) {
    issues.add(item.index, field, 'is not valid base64');
    return null;
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(utf8.decode(bytes));
  } catch {
    issues.add(item.index, field, 'does not decode to JSON (base64 of a UTF-8 JSON document expected)');
    return null;
  }
  if (!isObject(decoded)) {
    issues.add(item.index, field, 'must decode to a JSON object');
    return null;
  }
  return { value: decoded, index: item.index, pointer: field, envelope };
}
