// Display widths as a terminal draws them, through the clients' shared format module: CJK and emoji take two
// columns, colour none; tables line up after them and text is cut by width, never inside a character.
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { clip, displayWidth, formatKeyValues, formatTable } from '../../src/client/format';

const CJK = '修复解析器中不稳定的测试';
const FAMILY = '👨‍👩‍👧‍👦'; // one emoji of seven code points (ZWJ sequence)
const FLAG = '🇫🇷';
const MAGENTA = (text: string) => `\u001b[1m\u001b[35m${text}\u001b[39m\u001b[22m`;

/** The display column at which `needle` starts in `line`, measured by string-width itself (the reference). */
function columnOf(line: string, needle: string): number {
  const index = line.indexOf(needle);
  expect(index, `${needle} in ${line}`).toBeGreaterThanOrEqual(0);
  return stringWidth(line.slice(0, index));
}

describe('display width', () => {
  it('counts CJK and emoji as two columns, combining marks and colour as none', () => {
    expect(displayWidth(CJK)).toBe(24);
    expect(displayWidth(FAMILY)).toBe(2);
    expect(displayWidth(FLAG)).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('\u001b[35mneeds permission\u001b[39m')).toBe(16);
  });

  it('lines up the columns after CJK, emoji and coloured cells', () => {
    const rows = [
      { title: CJK, state: 'idle' },
      { title: `fix ${FAMILY} the parser`, state: 'running' },
      { title: `${FLAG} ascii`, state: 'needs_permission' },
      { title: 'plain', state: 'crashed' },
    ];
    const table = formatTable(rows, [
      { header: 'TITLE', value: (r) => r.title },
      { header: 'STATE', value: (r) => (r.state.startsWith('needs') ? MAGENTA(r.state) : r.state) },
      { header: 'AFTER', value: () => 'x' },
    ]);
    expect(table).toContain('\u001b['); // coloured, yet aligned:
    const lines = table.trimEnd().split('\n');
    const after = lines.map((line) => columnOf(line, lines.indexOf(line) === 0 ? 'AFTER' : ' x') + (lines.indexOf(line) === 0 ? 0 : 1));
    expect(new Set(after).size, table).toBe(1);
    const states = lines.slice(1).map((line, i) => columnOf(line, rows[i]!.state));
    expect(new Set(states).size, table).toBe(1);
  });

  it('pads key/value keys by display width', () => {
    const text = formatKeyValues([
      ['标题', 'a'],
      ['title', 'b'],
    ]);
    const [one, two] = text.trimEnd().split('\n');
    expect(columnOf(one!, 'a')).toBe(columnOf(two!, 'b'));
  });
});

describe('the narrow characters measured without string-width', () => {
  it('are one column each for string-width too', async () => {
    const { NARROW_RANGES } = await import('../../src/client/widths');
    for (const [from, to] of NARROW_RANGES) {
      for (let code = from; code <= to; code++) {
        const ch = String.fromCodePoint(code);
        if (stringWidth(ch) !== 1) throw new Error(`U+${code.toString(16)} takes ${stringWidth(ch)} columns`);
        expect(displayWidth(`a${ch}`)).toBe(2);
      }
    }
  });
});

describe('cutting text to a width', () => {
  it('cuts by display width, never through a wide character or an emoji sequence', () => {
    expect(clip(CJK, 7)).toBe('修复解…');
    expect(displayWidth(clip(CJK, 8))).toBeLessThanOrEqual(8);
    expect(clip(CJK, 8)).toBe('修复解…'); // a fourth character would straddle the limit
    expect(clip(`ab${FAMILY}cd`, 4)).toBe('ab…');
    expect(clip(`ab${FAMILY}cd`, 5)).toBe(`ab${FAMILY}…`);
    expect(clip(`${FLAG}${FLAG}${FLAG}`, 4)).toBe(`${FLAG}…`);
    expect(clip('short', 10)).toBe('short');
    for (let width = 1; width <= 26; width++) {
      const cut = clip(`x${CJK}${FAMILY}`, width);
      expect(displayWidth(cut)).toBeLessThanOrEqual(width);
      expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no lone high surrogate
      expect(cut.replace('…', '')).not.toMatch(/\u200d$/); // no ZWJ sequence cut open
    }
  });
});

