import { z } from 'zod';

/**
 * An answer that is bytes rather than JSON (a file's content): the router sends `bytes` as the body with its own
 * content type, and the client hands the bytes back. Its content type comes from the bytes and the name, never from
 * what the file claims, and is never one a browser renders as a page: anything that could be HTML or SVG is text/plain.
 */
export interface RawBody {
  raw: true;
  contentType: string;
  bytes: Buffer;
  /** The file name offered to whoever saves it (Content-Disposition). */
  fileName: string;
  /** Shown in place (an image, plain text) or offered as a download. */
  disposition: 'inline' | 'attachment';
}

export function isRawBody(value: unknown): value is RawBody {
  return typeof value === 'object' && value !== null && (value as { raw?: unknown }).raw === true && Buffer.isBuffer((value as { bytes?: unknown }).bytes);
}

export const rawBodySchema = z.custom<RawBody>(isRawBody, 'a raw body (bytes with a content type)');

/** Image types shown in place: their signatures are checked, not their names. */
const SIGNATURES: Array<{ type: string; test: (bytes: Buffer) => boolean }> = [
  { type: 'image/png', test: (b) => b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/jpeg', test: (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => b.length >= 6 && /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1')) },
  { type: 'image/webp', test: (b) => b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { type: 'application/pdf', test: (b) => b.length >= 5 && b.subarray(0, 5).toString('latin1') === '%PDF-' },
  { type: 'application/zip', test: (b) => b.length >= 4 && b.readUInt32BE(0) === 0x504b0304 },
  { type: 'application/gzip', test: (b) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b },
];

/** Like git: a NUL in the first 8000 bytes makes a file binary. */
export function looksBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

/**
 * The content type of a file's bytes. Known images by signature (shown inline); other binary as octet-stream;
 * text as text/plain (HTML, SVG and scripts included: served as what they are to read, never rendered).
 */
export function rawBodyFor(bytes: Buffer, name: string): RawBody {
  const fileName = name.split('/').pop() || 'file';
  const signed = SIGNATURES.find((signature) => signature.test(bytes));
  if (signed) return { raw: true, contentType: signed.type, bytes, fileName, disposition: signed.type.startsWith('image/') ? 'inline' : 'attachment' };
  if (looksBinary(bytes)) return { raw: true, contentType: 'application/octet-stream', bytes, fileName, disposition: 'attachment' };
  const utf8 = Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
  return { raw: true, contentType: utf8 ? 'text/plain; charset=utf-8' : 'text/plain', bytes, fileName, disposition: 'inline' };
}

/** Headers for a raw body: its type, no sniffing, no scripts, and a file name safe in a header. */
export function rawBodyHeaders(body: RawBody): Record<string, string> {
  const ascii = body.fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return {
    'content-type': body.contentType,
    'content-length': String(body.bytes.length),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'content-disposition': `${body.disposition}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(body.fileName)}`,
    'cache-control': 'no-store',
  };
}
