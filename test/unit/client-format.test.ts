// The clients' shared text formats: tables that fit a width, directories cut from the left, the one time format with
// a fixed clock, and the colour decision (display widths and cutting: client-widths.test.ts).
import { describe, expect, it } from 'vitest';
import { colourLevel, painter, paintState } from '../../src/client/colour';
import { formatStamp, formatWhen, isoTime } from '../../src/client/dates';
import { formatTable } from '../../src/client/format';
import { clipStart, displayWidth, shortenPath } from '../../src/client/widths';

const CJK = '修复解析器中不稳定的测试';

describe('directories cut from the left', () => {
  it('keeps the last part, writes the home directory as ~, and drops whole parts first', () => {
    expect(shortenPath('/home/ada/src/app', 40, '/home/ada')).toBe('~/src/app');
    expect(shortenPath('/home/ada', 40, '/home/ada')).toBe('~');
    expect(shortenPath('/home/adam/x', 40, '/home/ada')).toBe('/home/adam/x');
    expect(shortenPath('/srv/work/projects/src/app', 12)).toBe('…/src/app');
    expect(shortenPath('/srv/work/projects/src/app', 9)).toBe('…/src/app');
    expect(shortenPath('/srv/work/projects/src/app', 8)).toBe('…/app');
    expect(shortenPath('/srv/work/a-very-long-directory-name', 10)).toBe('…tory-name');
    expect(shortenPath(`/srv/${CJK}/代码`, 9)).toBe('…/代码');
    expect(clipStart(CJK, 7)).toBe('…的测试');
  });

  it('fits a table to a width: the directory shortens to its last part, then optional columns go in their order', () => {
    const rows = [
      { id: 'a1b2c3d4', name: 'builder', provider: 'claude-code', cwd: '/srv/work/projects/client-portal/frontend' },
      { id: 'e5f6a7b8', name: '-', provider: 'codex', cwd: '/srv/work/x' },
    ];
    const columns = [
      { header: 'ID', value: (r: (typeof rows)[number]) => r.id },
      { header: 'NAME', value: (r: (typeof rows)[number]) => r.name, drop: 2 },
      { header: 'PROVIDER', value: (r: (typeof rows)[number]) => r.provider, drop: 1 },
      {
        header: 'CWD',
        value: (r: (typeof rows)[number]) => r.cwd,
        shrink: { min: (cells: readonly string[]) => Math.max(...cells.map((c) => displayWidth(`…/${c.split('/').pop()}`))), fit: (c: string, w: number) => shortenPath(c, w) },
      },
    ];
    const wide = formatTable(rows, columns, { width: 120 });
    expect(wide).toContain('/srv/work/projects/client-portal/frontend');
    const narrower = formatTable(rows, columns, { width: 50 });
    for (const line of narrower.trimEnd().split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(50);
    expect(narrower).toContain('PROVIDER');
    expect(narrower).toMatch(/…\/frontend/);
    const narrow = formatTable(rows, columns, { width: 32 });
    expect(narrow).not.toContain('PROVIDER');
    expect(narrow).toContain('NAME');
    expect(narrow).toMatch(/…\/frontend\n/);
    const narrowest = formatTable(rows, columns, { width: 22 });
    expect(narrowest).not.toContain('NAME');
    expect(narrowest.split('\n')[1]).toBe('a1b2c3d4  …/frontend');
  });
});

describe('the one time format', () => {
  const now = new Date(2026, 11, 4, 14, 0, 0).getTime(); // local time, as the formatter writes
  it('says how long ago for the last day, and the local date and minute before that', () => {
    expect(formatWhen(new Date(now - 42_000).toISOString(), now)).toBe('42s ago');
    expect(formatWhen(now - 5 * 60_000 - 30_000, now)).toBe('5m ago');
    expect(formatWhen(now - 3 * 3600_000 - 59 * 60_000, now)).toBe('3h ago');
    expect(formatWhen(now - 24 * 3600_000, now)).toBe('2026-12-03 14:00');
    expect(formatWhen(new Date(2025, 0, 2, 3, 4, 5), now)).toBe('2025-01-02 03:04');
    expect(formatWhen(now + 10_000, now)).toBe('0s ago'); // another process's clock a little ahead
    expect(formatWhen(now + 3600_000, now)).toBe('2026-12-04 15:00');
    expect(formatWhen(null, now)).toBe('-');
    expect(formatWhen('not a time', now)).toBe('not a time');
  });

  it('writes logs and details to the second, and ISO 8601 for JSON', () => {
    expect(formatStamp(new Date(2026, 11, 4, 13, 57, 34), { now })).toBe('2026-12-04 13:57:34');
    expect(formatStamp(new Date(2026, 11, 4, 13, 57, 34), { now, relative: true })).toBe('2026-12-04 13:57:34 (2m ago)');
    expect(isoTime(Date.UTC(2026, 11, 4, 13, 57, 34))).toBe('2026-12-04T13:57:34.000Z');
    expect(isoTime(null)).toBeNull();
  });
});

describe('colour', () => {
  it('follows NO_COLOR, FORCE_COLOR and the terminal, in that order', () => {
    expect(colourLevel({}, true)).toBe(1);
    expect(colourLevel({}, false)).toBe(0);
    expect(colourLevel({ TERM: 'dumb' }, true)).toBe(0);
    expect(colourLevel({ FORCE_COLOR: '1' }, false)).toBe(1);
    expect(colourLevel({ FORCE_COLOR: '3' }, false)).toBe(3);
    expect(colourLevel({ FORCE_COLOR: '' }, false)).toBe(1);
    expect(colourLevel({ FORCE_COLOR: '0' }, true)).toBe(0);
    expect(colourLevel({ FORCE_COLOR: 'false' }, true)).toBe(0);
    expect(colourLevel({ NO_COLOR: '1' }, true)).toBe(0);
    expect(colourLevel({ NO_COLOR: '1', FORCE_COLOR: '1' }, false)).toBe(0);
    expect(colourLevel({ NO_COLOR: '' }, true)).toBe(1); // set but empty: not a preference (no-color.org)
  });

  it('colours the states that want the user, and nothing at level 0', () => {
    expect(paintState(painter(1)!, 'needs_permission', 'needs permission')).toMatch(/^\u001b\[1m\u001b\[35mneeds permission/);
    expect(paintState(painter(1), 'crashed', 'crashed')).toBe('\u001b[31mcrashed\u001b[39m');
    expect(painter(0)).toBeUndefined();
    expect(paintState(painter(0), 'crashed', 'crashed')).toBe('crashed');
  });
});
