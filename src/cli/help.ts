/**
 * How `--help` reads: commands in groups (a command names its group where it is built, with commander's helpGroup),
 * examples under each command (addHelpText with examples()), defaults shown once, plumbing kept out of the list. Data, not a second list of
 * commands: a new command lands in a group with one line, and one without a group still shows, under "Other
 * commands:".
 */
import { Command, Help, type Option } from 'commander';
import { AppError } from '../core/errors';
import { listWithOr, nearestNames } from '../core/nearest';

/** The top-level groups, in the order help shows them; a command joins one with `.helpGroup(HELP_GROUPS.x)`. */
export const HELP_GROUPS = {
  sessions: 'Sessions:',
  review: 'Worktrees and review:',
  workspaces: 'Workspaces and env sets:',
  policies: 'Policies and hooks:',
  transcripts: 'Transcripts and analytics:',
  setup: 'Daemon and setup:',
  remote: 'Remote access (--web):',
} as const;

/** Where commands without a group go: after the named groups, never lost. */
const OTHER_COMMANDS = 'Other commands:';

/** One example: a command line starting with `codepiper`, or what it does (shown as a comment above it) and the line. */
export type Example = string | readonly [comment: string, commandLine: string];

const PLUMBING = new WeakSet<Command>();

/**
 * The "Examples:" section of a command's help, for `.addHelpText('after', examples(...))`: real command lines a
 * person can copy, two or three per command.
 */
export function examples(...list: Example[]): string {
  const lines = list.flatMap((example) => (typeof example === 'string' ? [`  $ ${example}`] : [`  # ${example[0]}`, `  $ ${example[1]}`]));
  return `\nExamples:\n${lines.join('\n')}`;
}

/** Marks a command as plumbing (run by programs, not people): it works and has its own help, but is not listed. */
export function plumbing<C extends Command>(command: C): C {
  PLUMBING.add(command);
  return command;
}

export function isPlumbing(command: Command): boolean {
  return PLUMBING.has(command);
}

/** A command group given a word it does not know: name it, suggest the nearest, point at the help. */
export function unknownSubcommand(command: Command, word: string, what = 'command'): AppError {
  // An alias suggests the command it stands for: "lst" means list, not "list or ls".
  const primary = new Map<string, string>();
  for (const sub of command.commands) if (!isPlumbing(sub)) for (const name of [sub.name(), ...sub.aliases()]) primary.set(name, sub.name());
  const near = [...new Set(nearestNames(word, primary.keys()).map((name) => primary.get(name)!))];
  const path = commandPath(command);
  const hint = near.length ? `; did you mean ${listWithOr(near)}?` : '';
  return new AppError('USAGE', `unknown ${path.slice('codepiper '.length)} ${what} "${word}"${hint} (see ${path} --help)`);
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** The help configuration every command gets (commander does not pass it on to commands added with addCommand). */
export const helpConfiguration: Partial<Help> = {
  /** Plumbing (hook-forward) works and has its own --help, but the list, and commander's suggestions, are for people. */
  visibleCommands(command: Command): Command[] {
    return Help.prototype.visibleCommands.call(this, command).filter((sub) => !isPlumbing(sub));
  },
  /** Groups in HELP_GROUPS order, then any other heading (a subcommand list's "Commands:" among them). */
  groupItems<T extends Command | Option>(unsorted: T[], visible: T[], getGroup: (item: T) => string): Map<string, T[]> {
    const groups = Help.prototype.groupItems.call(this, unsorted, visible, (item: Command | Option) => {
      const heading = getGroup(item as T);
      // A top-level command without a group: commander would call it "Commands:", which reads as "all of them".
      return item instanceof Command && item.parent?.parent === null && heading === 'Commands:' ? OTHER_COMMANDS : heading;
    }) as Map<string, T[]>;
    const order: string[] = Object.values(HELP_GROUPS);
    const rank = (heading: string) => (order.includes(heading) ? order.indexOf(heading) : order.length);
    return new Map([...groups].filter(([, items]) => items.length > 0).sort(([a], [b]) => rank(a) - rank(b)));
  },
  /**
   * An empty list or object as a default says nothing ("(default: {})"): leave it out. A description that ends in
   * its own parenthesis takes commander's notes into it: "(at most 1000, default: 50)", not two in a row.
   */
  optionDescription(option: Option): string {
    const value: unknown = option.defaultValue;
    const empty = (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
    const shown = empty ? Object.assign(Object.create(option) as Option, { defaultValue: undefined }) : option;
    const text = Help.prototype.optionDescription.call(this, shown);
    const own = option.description;
    if (!own.endsWith(')') || !text.startsWith(`${own} (`)) return text;
    return `${own.slice(0, -1)}, ${text.slice(own.length + 2)}`;
  },
};
