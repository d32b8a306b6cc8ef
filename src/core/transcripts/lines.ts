import fs from 'node:fs';

const CHUNK = 4 << 20;
/** A line longer than this is not a transcript record (a stray binary or a runaway write): skipped and counted. */
export const MAX_LINE_BYTES = 64 << 20;

export interface LineSlice {
  /** Offset just past the last complete line handed out: where the next read starts. */
  end: number;
  /** Complete lines that were too long to hold and were skipped. */
  oversized: number;
}

/**
 * Hands `onLine` every complete line (ending in '\n') of `fd` from `start`, reading at most about `budget` bytes, and
 * returns where the next read should start. A partial last line is held back: it is read again, whole, once its
 * writer has finished it. Lines are decoded as UTF-8 one at a time, so a multi-byte character is never split.
 */
export function readLines(fd: number, start: number, size: number, budget: number, onLine: (line: string, end: number) => void): LineSlice {
  let position = start;
  let consumed = start;
  let oversized = 0;
  let carry: Buffer | null = null;
  let skipping = false; // inside an oversized line, looking for its end
  const buffer = Buffer.allocUnsafe(CHUNK);
  while (position < size && consumed - start < budget) {
    const bytes = fs.readSync(fd, buffer, 0, Math.min(CHUNK, size - position), position);
    if (bytes <= 0) break;
    position += bytes;
    let lineStart = 0;
    for (;;) {
      const newline = buffer.indexOf(10, lineStart);
      if (newline < 0 || newline >= bytes) break;
      const end = position - bytes + newline + 1;
      if (skipping) {
        skipping = false;
      } else if (carry) {
        const whole = Buffer.concat([carry, buffer.subarray(lineStart, newline)]);
        carry = null;
        if (whole.length > 0) onLine(whole.toString('utf8'), end);
      } else if (newline > lineStart) {
        onLine(buffer.toString('utf8', lineStart, newline), end);
      }
      lineStart = newline + 1;
      consumed = position - bytes + lineStart;
      if (consumed - start >= budget) return { end: consumed, oversized };
    }
    if (lineStart < bytes && !skipping) {
      const rest = buffer.subarray(lineStart, bytes);
      const held = (carry?.length ?? 0) + rest.length;
      if (held > MAX_LINE_BYTES) {
        carry = null;
        skipping = true;
        oversized++;
      } else {
        carry = carry ? Buffer.concat([carry, rest]) : Buffer.from(rest);
      }
    }
  }
  return { end: consumed, oversized };
}

/** True when the first bytes hold a NUL: a binary file, not a transcript. */
export function looksBinary(fd: number, size: number): boolean {
  const probe = Buffer.alloc(Math.min(4096, size));
  const bytes = fs.readSync(fd, probe, 0, probe.length, 0);
  return probe.subarray(0, bytes).includes(0);
}

const USAGE_KEY = Buffer.from('"usage"');

/**
 * Like readLines, but hands out only the complete lines holding the key "usage" (the token counts), found with a
 * byte search instead of decoding and parsing every line: the fast first pass of a cold scan. The key cannot be
 * matched inside a JSON string (quotes there are escaped), so no line with token counts is missed.
 */
export function readUsageLines(fd: number, start: number, size: number, budget: number, onLine: (line: string, end: number) => void): LineSlice {
  let position = start;
  let oversized = 0;
  let buffer = Buffer.allocUnsafe(CHUNK);
  while (position < size && position - start < budget) {
    const bytes = fs.readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytes <= 0) break;
    const lastNewline = buffer.lastIndexOf(10, bytes - 1);
    if (lastNewline < 0) {
      if (position + bytes >= size) break; // a partial last line: held back
      if (buffer.length < MAX_LINE_BYTES) {
        buffer = Buffer.allocUnsafe(buffer.length * 2); // one line longer than the window: widen it
        continue;
      }
      const end = skipLine(fd, position + bytes, size);
      if (end < 0) break;
      oversized++;
      position = end;
      continue;
    }
    const view = buffer.subarray(0, lastNewline + 1);
    let from = 0;
    for (;;) {
      const at = view.indexOf(USAGE_KEY, from);
      if (at < 0) break;
      const lineStart = at === 0 ? 0 : view.lastIndexOf(10, at) + 1;
      const lineEnd = view.indexOf(10, at);
      onLine(view.toString('utf8', lineStart, lineEnd), position + lineEnd + 1);
      from = lineEnd + 1;
    }
    position += lastNewline + 1;
  }
  return { end: position, oversized };
}

/** The offset past the next newline at or after `from`, or -1 when the file ends first. */
function skipLine(fd: number, from: number, size: number): number {
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (let position = from; position < size; ) {
    const bytes = fs.readSync(fd, buffer, 0, Math.min(CHUNK, size - position), position);
    if (bytes <= 0) return -1;
    const newline = buffer.indexOf(10);
    if (newline >= 0 && newline < bytes) return position + newline + 1;
    position += bytes;
  }
  return -1;
}
