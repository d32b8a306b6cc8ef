/**
 * Paging a diff by bytes. A page ends at a line's end when one is inside it (a reader never sees half a line) and
 * never inside a UTF-8 character; an offset that lands inside a character moves on to the next one.
 */

export interface DiffPage {
  text: string;
  offset: number;
  totalBytes: number;
  truncated: boolean;
  nextOffset: number | null;
}

/** True for the bytes that continue a UTF-8 character (10xxxxxx). */
const isContinuation = (byte: number | undefined): boolean => byte !== undefined && (byte & 0xc0) === 0x80;

/** A diff as git gave it (text): most fit one page whole, and need no round trip through bytes. */
export function pageDiffText(text: string, offset: number, limitBytes: number): DiffPage {
  if (offset <= 0) {
    const totalBytes = Buffer.byteLength(text, 'utf8');
    if (totalBytes <= limitBytes) return { text, offset: 0, totalBytes, truncated: false, nextOffset: null };
  }
  return pageDiff(Buffer.from(text, 'utf8'), offset, limitBytes);
}

export function pageDiff(whole: Buffer, offset: number, limitBytes: number): DiffPage {
  const totalBytes = whole.length;
  let start = Math.min(Math.max(0, offset), totalBytes);
  while (start < totalBytes && isContinuation(whole[start])) start++;
  let end = Math.min(totalBytes, start + Math.max(1, limitBytes));
  if (end < totalBytes) {
    const lastNewline = whole.lastIndexOf(0x0a, end - 1);
    if (lastNewline >= start) end = lastNewline + 1;
    else while (end > start && isContinuation(whole[end])) end--;
    // A single character longer than the page: give it whole rather than nothing.
    if (end === start) {
      end = start + 1;
      while (end < totalBytes && isContinuation(whole[end])) end++;
    }
  }
  const truncated = end < totalBytes;
  return { text: whole.subarray(start, end).toString('utf8'), offset: start, totalBytes, truncated, nextOffset: truncated ? end : null };
}
