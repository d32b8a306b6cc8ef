import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { extractApiSection, inputFields, MAN_PAGE_PATH, renderApiSection, replaceApiSection } from '../../scripts/gen-man-api';
import { buildProgram } from '../../src/cli/program';
import { defineRoute, ROUTE_ACCESS_LEVELS } from '../../src/core/api/route';
import { EXIT_CODES } from '../../src/core/errors';

const SOURCE_DIR = fileURLToPath(new URL('../../src', import.meta.url));

const rawPage = fs.readFileSync(MAN_PAGE_PATH, 'utf8');

/** The page as a reader would search it: `\-` is a plain hyphen, font changes and zero-width marks are gone. */
function plainRoff(roff: string): string {
  return roff.replace(/\\-/g, '-').replace(/\\f[BIRP]/g, '').replace(/\\&/g, '');
}

interface Section {
  heading: string;
  body: string;
}

/** Splits a plain page at each line starting with `macro` (`.SH` or `.SS`), keeping the heading text unquoted. */
function splitAt(page: string, macro: '.SH' | '.SS'): Section[] {
  const sections: Section[] = [];
  for (const line of page.split('\n')) {
    if (line.startsWith(`${macro} `)) sections.push({ heading: line.slice(macro.length + 1).replace(/"/g, '').trim(), body: '' });
    else if (sections.length > 0) sections[sections.length - 1]!.body += line + '\n';
  }
  return sections;
}

function sectionBody(page: string, heading: string): string {
  const section = splitAt(page, '.SH').find((candidate) => candidate.heading === heading);
  if (!section) throw new Error(`the man page has no section ${heading}`);
  return section.body;
}

/** True when `flag` occurs as a whole flag, so that documenting `--json-lines` does not count for `--json`. */
function mentionsFlag(text: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w-])${escaped}(?![\\w-])`, 'm').test(text);
}

function walk(command: Command, parents: string[] = []): Array<{ path: string; command: Command }> {
  return command.commands.flatMap((sub) => {
    const names = [...parents, sub.name()];
    return [{ path: names.join(' '), command: sub }, ...walk(sub, names)];
  });
}

/**
 * Everything the command line offers that the page does not describe: each command and subcommand needs a COMMANDS
 * subsection whose heading starts with its full name, each of its options a mention in one of those subsections, and
 * each program-wide option a mention under GLOBAL OPTIONS.
 */
function undocumented(program: Command, roff: string): string[] {
  const page = plainRoff(roff);
  const subsections = splitAt(sectionBody(page, 'COMMANDS'), '.SS');
  const globalOptions = sectionBody(page, 'GLOBAL OPTIONS');
  const missing: string[] = [];

  for (const option of program.createHelp().visibleOptions(program)) {
    for (const flag of [option.long, option.short]) {
      if (flag && !mentionsFlag(globalOptions, flag)) missing.push(`global option ${flag}`);
    }
  }
  for (const { path: name, command } of walk(program)) {
    const own = subsections.filter(({ heading }) => heading === name || heading.startsWith(`${name} `));
    if (own.length === 0) {
      missing.push(`command "${name}"`);
      continue;
    }
    const text = own.map(({ body, heading }) => `${heading}\n${body}`).join('');
    for (const option of command.options) {
      for (const flag of [option.long, option.short]) {
        if (flag && !mentionsFlag(text, flag)) missing.push(`option ${flag} of "${name}"`);
      }
    }
  }
  return missing;
}

describe('man/codepiper.1 and the command line', () => {
  it('documents every command, subcommand and option that buildProgram() defines', () => {
    expect(undocumented(buildProgram(), rawPage)).toEqual([]);
  });

  it('notices a command, a subcommand or an option added without documentation', () => {
    const program = buildProgram();
    program.command('frobnicate').option('--wibble <n>', 'undocumented');
    const daemon = program.commands.find((command) => command.name() === 'daemon')!;
    daemon.command('reload');
    daemon.commands.find((command) => command.name() === 'status')!.option('-w, --watch', 'undocumented');
    program.option('--colour', 'undocumented');

    expect(undocumented(program, rawPage)).toEqual([
      'global option --colour',
      'option --watch of "daemon status"',
      'option -w of "daemon status"',
      'command "daemon reload"',
      'command "frobnicate"',
    ]);
  });

  it('gives every exit status of EXIT_CODES an entry under EXIT STATUS, with its family name', () => {
    const exitStatus = sectionBody(plainRoff(rawPage), 'EXIT STATUS');
    for (const [family, code] of Object.entries(EXIT_CODES)) {
      expect(exitStatus, `exit status ${code} (${family})`).toMatch(new RegExp(`^\\.TP\\n\\.B ${code}\\n\\.BR ${family} :`, 'm'));
    }
  });

  it('describes every CODEPIPER_* variable that the source reads under ENVIRONMENT', () => {
    const environment = sectionBody(plainRoff(rawPage), 'ENVIRONMENT');
    const variables = new Set<string>();
    for (const file of fs.readdirSync(SOURCE_DIR, { recursive: true, encoding: 'utf8' })) {
      if (!/\.tsx?$/.test(file)) continue;
      const source = fs.readFileSync(path.join(SOURCE_DIR, file), 'utf8');
      for (const match of source.matchAll(/\bCODEPIPER_[A-Z0-9_]*[A-Z0-9]\b/g)) variables.add(match[0]);
    }
    expect(variables.size).toBeGreaterThan(0);
    const missing = [...variables].filter((name) => !new RegExp(`^\\.TP\\n\\.B ${name}$`, 'm').test(environment));
    expect(missing).toEqual([]);
  });
});

describe('the generated API section', () => {
  it('is up to date with the route table (fix: npx tsx scripts/gen-man-api.ts)', () => {
    expect(extractApiSection(rawPage)).toBe(renderApiSection());
  });

  it('replaces exactly the lines between the markers', () => {
    const page = ['.SH A', '.\\" BEGIN GENERATED API', 'old', '.\\" END GENERATED API', '.SH B', ''].join('\n');
    const replaced = replaceApiSection(page, 'new 1\nnew 2\n');
    expect(replaced).toBe(['.SH A', '.\\" BEGIN GENERATED API', 'new 1', 'new 2', '.\\" END GENERATED API', '.SH B', ''].join('\n'));
    expect(extractApiSection(replaced)).toBe('new 1\nnew 2\n');
    expect(() => extractApiSection('.SH A\n')).toThrow(/BEGIN GENERATED API/);
  });

  const sessionOutput = defineRoute({
    name: 'sessions.output',
    method: 'GET',
    path: '/sessions/:id/output',
    summary: 'A snapshot of the screen.',
    access: 'local',
    input: z.strictObject({
      id: z.string(),
      lines: z.coerce.number().int().optional(),
      ansi: z.boolean().default(false).describe('keep colour codes'),
    }),
    output: z.strictObject({}),
  });

  it('lists each input field with whether it is required and whether it travels in the path', () => {
    expect(inputFields(sessionOutput)).toEqual([
      { name: 'id', required: true, inPath: true, description: undefined },
      { name: 'lines', required: false, inPath: false, description: undefined },
      { name: 'ansi', required: false, inPath: false, description: 'keep colour codes' },
    ]);
    const section = plainRoff(renderApiSection([sessionOutput]));
    expect(section).toContain('.B "GET /sessions/:id/output"\nA snapshot of the screen.\n');
    expect(section).toContain('Access: local (Unix socket only).');
    expect(section).toContain('Input, in the path where marked, otherwise in the query string:');
    expect(section).toContain('id (required, path)');
    expect(section).toContain('lines (optional)');
    expect(section).toContain('ansi (optional) \\(em keep colour codes');
  });

  it('prints each route\'s access level with its meaning, and refuses a route without a known one', () => {
    const section = plainRoff(renderApiSection([{ ...sessionOutput, access: 'admin' }]));
    expect(section).toContain('Access: admin (starts programs, changes policies).');
    for (const level of ROUTE_ACCESS_LEVELS) expect(section).toMatch(new RegExp(`^\\.TP\\n\\.B ${level}\\n\\S`, 'm'));
    expect(() => renderApiSection([{ ...sessionOutput, access: 'any' as never }])).toThrow(/sessions.output has no access level/);
  });

  it('says so when an input is not an object schema instead of guessing its fields', () => {
    const route = { ...sessionOutput, input: z.union([z.strictObject({ text: z.string() }), z.strictObject({ key: z.string() })]) };
    expect(inputFields(route)).toBeUndefined();
    expect(renderApiSection([route])).toContain('Input: not a plain object schema');
  });
});
