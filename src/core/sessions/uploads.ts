import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { MAX_IMAGE_BYTES, type IMAGE_TYPES, type uploadImageSchema } from '../api/controls';
import { AppError } from '../errors';
import type { Paths } from '../paths';
import type { SessionJournal } from './journal';
import type { LiveSessions } from './live';
import type { SessionTerminal } from './terminal';

export type UploadedImage = z.output<typeof uploadImageSchema>;
type ImageType = (typeof IMAGE_TYPES)[number];

/** Image types by the bytes they start with: the only thing about an upload that is believed. */
const SIGNATURES: ReadonlyArray<{ type: ImageType; extension: string; matches: (bytes: Buffer) => boolean }> = [
  { type: 'image/png', extension: 'png', matches: (b) => b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/jpeg', extension: 'jpg', matches: (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', extension: 'gif', matches: (b) => b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6)) },
  { type: 'image/webp', extension: 'webp', matches: (b) => b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
];

/** The image type of `bytes` by their signature, or undefined when they are none of PNG, JPEG, GIF, WebP. */
export function sniffImage(bytes: Buffer): { type: ImageType; extension: string } | undefined {
  const found = SIGNATURES.find((signature) => signature.matches(bytes));
  return found && { type: found.type, extension: found.extension };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Images handed to an agent: stored in the session's own upload folder under a name CodePiper makes (the client's
 * name is never a path), then the stored file's absolute path typed into the agent's input without Enter, so the
 * person (or the caller's next send) writes the prompt around it and submits it.
 */
export class ImageUploads {
  constructor(private readonly options: { journal: SessionJournal; lives: LiveSessions; terminal: SessionTerminal; paths: Paths }) {}

  async upload(ref: string, input: { name?: string | undefined; dataBase64: string; typePath: boolean }): Promise<UploadedImage> {
    const record = this.options.journal.resolve(ref);
    // Refused before anything is written: a path typed nowhere would be a file nobody asked for.
    const live = input.typePath ? this.options.lives.require(record) : undefined;
    const bytes = decodeImage(input.dataBase64);
    const sniffed = sniffImage(bytes);
    if (!sniffed) {
      const start = bytes.subarray(0, 8).toString('hex').replace(/(..)(?!$)/g, '$1 ');
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `the upload is not a PNG, JPEG, GIF or WebP image by its bytes (they start ${start || '(empty)'})${input.name ? `; its name "${input.name}" is not trusted` : ''}`,
        { details: { accepted: ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] } },
      );
    }
    const folder = path.join(this.options.paths.sessionsDir, record.id, 'uploads');
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    fs.chmodSync(folder, 0o700);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const file = path.join(folder, `image-${stamp}-${randomBytes(4).toString('hex')}.${sniffed.extension}`);
    // wx: a name that exists (it cannot, but) is never overwritten.
    fs.writeFileSync(file, bytes, { mode: 0o600, flag: 'wx' });
    let typed = false;
    if (live) {
      try {
        await this.options.terminal.send(record.id, file, false);
        typed = true;
      } catch (error) {
        // Not typed (refused by policy, or the agent went away): the file nobody will hear of goes too.
        fs.rmSync(file, { force: true });
        throw error;
      }
    }
    this.options.journal.record(record.id, 'user', 'image', { path: file, bytes: bytes.length, type: sniffed.type, typed });
    return { sessionId: record.id, path: file, bytes: bytes.length, type: sniffed.type, originalName: input.name ?? null, typed };
  }
}

/** The image's bytes from base64, measured before they are decoded so that an oversized one costs no memory. */
function decodeImage(dataBase64: string): Buffer {
  const text = dataBase64.replace(/\s+/g, '');
  const size = Math.floor((text.length * 3) / 4) - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  if (size > MAX_IMAGE_BYTES) throw tooLarge(size);
  if (!BASE64.test(text) || text.length % 4 === 1) {
    throw new AppError('VALIDATION_FAILED', 'dataBase64 is not base64 (letters, digits, "+" and "/", padded with "=")', {
      details: { issues: [{ path: 'dataBase64', message: 'not base64', code: 'custom' }] },
    });
  }
  return Buffer.from(text, 'base64');
}

function tooLarge(bytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `the image is ${bytes} bytes, over the ${MAX_IMAGE_BYTES}-byte (${MAX_IMAGE_BYTES / 1024 / 1024} MiB) limit`, {
    details: { bytes, limit: MAX_IMAGE_BYTES },
  });
}
