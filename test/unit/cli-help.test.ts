import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { HELP_GROUPS, isPlumbing } from '../../src/cli/help';
import { buildProgram } from '../../src/cli/program';

/** Every command of the program, with its path ("policy create"), the program itself first. */
function allCommands(command: Command, path: string[] = []): Array<{ command: Command; path: string }> {
  return [{ command, path: path.join(' ') }, ...command.commands.flatMap((sub) => allCommands(sub, [...path, sub.name()]))];
}

/** What `codepiper <path> --help` prints, at 80 columns. */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk), getOutHelpWidth: () => 80 });
  command.outputHelp();
  return text;
}

describe('help', () => {
  const program = buildProgram();
  const commands = allCommands(program);

  it('finds the whole command tree', () => expect(commands.length).toBeGreaterThan(50));

  it.each(commands.map(({ command, path }) => ({ command, path: path || '(top level)' })))('$path has two or three examples of itself', ({ command, path }) => {
    const help = helpOf(command);
    const section = help.split('\nExamples:\n')[1];
    expect(section, `codepiper ${path} --help has no Examples section`).toBeDefined();
    const lines = section!.trimEnd().split('\n').filter((line) => line.startsWith('  $ '));
    expect(lines.length).toBeGreaterThanOrEqual(path === '(top level)' ? 2 : 1);
    expect(lines.length).toBeLessThanOrEqual(3);
    if (!command.commands.length) expect(lines.length, `codepiper ${path}: two examples at least`).toBeGreaterThanOrEqual(2);
    // The examples show this command (or one below it), not only others.
    const names = [command.name(), ...command.aliases()].map((name) => `codepiper ${[...path.split(' ').slice(0, -1), name].join(' ')}`);
    if (path !== '(top level)') expect(lines.some((line) => names.some((name) => line.includes(name))), `codepiper ${path}`).toBe(true);
  });

  it.each(commands.map(({ command, path }) => ({ command, path: path || '(top level)' })))('$path shows each default once, and none for an empty list', ({ command }) => {
    const help = helpOf(command);
    const options = help.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
    // An option's description may wrap: join its lines before counting.
    const entries = options.split(/\n(?= {2}-)/).map((entry) => entry.replace(/\s+/g, ' '));
    for (const entry of entries) {
      expect(entry.match(/[(,] ?default\b/g)?.length ?? 0, entry).toBeLessThanOrEqual(1);
      expect(entry).not.toMatch(/\(default: (\{\}|\[\])\)/);
    }
  });

  it('refuses a value outside the choices of any option or argument with the nearest suggested', () => {
    const withChoices = commands.flatMap(({ command, path }) =>
      [...command.options, ...command.registeredArguments].filter((item) => item.argChoices).map((item) => ({ path, item, choices: item.argChoices! })),
    );
    expect(withChoices.length).toBeGreaterThanOrEqual(10);
    for (const { path, item, choices } of withChoices) {
      const meant = choices[choices.length - 1]!;
      expect(() => item.parseArg!(meant.slice(0, -1), undefined), `${path} ${'flags' in item ? item.flags : item.name()}`).toThrow(
        new RegExp(`^expected one of ${choices.join(', ')}; did you mean (.*\\b)?${meant}\\b`),
      );
      expect(item.parseArg!(meant, undefined)).toBe(meant);
    }
  });

  it('groups the top-level commands, hides plumbing, and fits in 80 columns', () => {
    const help = helpOf(program);
    const headings = help.split('\n').filter((line) => /^\S.*:$/.test(line));
    expect(headings).toEqual(['Options:', ...Object.values(HELP_GROUPS), 'Examples:']);
    expect(help).not.toContain('hook-forward');
    expect(program.commands.filter((command) => isPlumbing(command)).map((command) => command.name())).toEqual(['hook-forward', '__complete']);
    for (const line of help.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    // Each command fits its summary on one line: the list reads at a glance.
    const listed = help.split('\n').filter((line) => /^ {2}[a-z]/.test(line));
    expect(listed.length).toBeGreaterThan(20);
    for (const heading of Object.values(HELP_GROUPS)) {
      for (const line of help.split(`${heading}\n`)[1]!.split('\n\n')[0]!.split('\n')) expect(line).toMatch(/^ {2}[a-z]/);
    }
  });

  it('shows a command without a group under "Other commands:", after the groups', async () => {
    const { Command } = await import('commander');
    const extra = buildProgram();
    extra.addCommand(new Command('newcomer').description('a command added without a group'));
    const help = helpOf(extra);
    expect(help).toMatch(/Daemon and setup:\n[\s\S]*Other commands:\n {2}newcomer +a command added without a group\n/);
  });
});
