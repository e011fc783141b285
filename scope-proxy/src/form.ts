// Reading what the caller sent: strict form decoding, a bounded body, and the parameters an
// endpoint takes. Body first, then URL (Go's r.Form order); single-valued parameters must not
// disagree; anything an endpoint does not take is dropped, so Prometheus never sees it.
import type { IncomingMessage } from 'node:http';
import { ProxyError, badRequest } from './errors.ts';
import { joinChunks } from './upstream.ts';

export const MAX_BODY = 1 << 20;
/** What is read and dropped after an oversized body before the connection is cut. */
const MAX_DRAIN = 16 << 20;

/** Parameters an endpoint takes; `multi` ones may repeat, the rest must be given once. */
export interface ParamSpec {
  single: readonly string[];
  multi: readonly string[];
}

export interface Params {
  single: Map<string, string>;
  multi: Map<string, string[]>;
}

/** Strict form decoding: `;` separators and malformed percent-encoding are refused, not guessed. */
export function decodeForm(text: string, where: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!text) return out;
  if (text.includes(';')) throw badRequest(`invalid ${where}: ';' is not a parameter separator`);
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    try {
      out.push([decodeURIComponent(rawKey.replace(/\+/g, ' ')), decodeURIComponent(rawValue.replace(/\+/g, ' '))]);
    } catch {
      throw badRequest(`invalid ${where}: malformed percent-encoding`);
    }
  }
  return out;
}

/** The request body, read with plain events (no async iterator on the hot path). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    let drained = 0;
    req.on('data', (chunk: Buffer) => {
      if (failed) {
        drained += chunk.length;
        if (drained > MAX_DRAIN) req.destroy();
        return;
      }
      size += chunk.length;
      if (size > MAX_BODY) {
        // Answer 413 at once, but keep reading (and dropping) what is still coming: closing a
        // socket with unread data resets it, and the client would see a reset, not the 413.
        // Past MAX_DRAIN the client is not listening anyway: cut it off.
        failed = true;
        chunks.length = 0;
        reject(new ProxyError('too_large', `request body larger than ${MAX_BODY} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(joinChunks(chunks, size).toString('utf8'));
    });
    req.on('error', (error) => {
      if (!failed) reject(new ProxyError('client_closed', `the client went away while sending its request (${error.message})`));
      failed = true;
    });
    req.on('close', () => {
      if (!failed && !req.complete) {
        failed = true;
        reject(new ProxyError('client_closed', 'the client went away while sending its request'));
      }
    });
  });
}

/** The parameters `spec` names, from the body (POST, form-encoded) and the URL's query string. */
export async function readParams(req: IncomingMessage, rawQuery: string, spec: ParamSpec): Promise<Params> {
  const pairs = decodeForm(rawQuery, 'query string');
  if (req.method === 'POST') {
    const body = await readBody(req);
    if (body.length > 0) {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded')
        throw new ProxyError('unsupported_media_type', 'POST bodies must be application/x-www-form-urlencoded');
      pairs.unshift(...decodeForm(body, 'form body'));
    }
  }
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const [key, value] of pairs) {
    if (spec.multi.includes(key)) multi.set(key, [...(multi.get(key) ?? []), value]);
    else if (spec.single.includes(key)) {
      const seen = single.get(key);
      if (seen !== undefined && seen !== value) throw badRequest(`parameter ${key} given more than once with different values`);
      single.set(key, value);
    }
    // Other parameters are dropped: Prometheus never sees anything we did not check.
  }
  return { single, multi };
}
