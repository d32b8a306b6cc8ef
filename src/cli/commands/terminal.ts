import { Argument, Command } from 'commander';
import type { RouteOutput } from '../../core/api';
import { AppError } from '../../core/errors';
import { commandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';
import { print, printJson } from '../output';
import { routeChoices, routeOption } from '../route-options';

type TerminalInfo = RouteOutput<'sessions.terminalInfo'>;

/** Where scroll goes: a direction (with lines) or an end, as the route names them. */
const DIRECTIONS = routeChoices('sessions.terminalScroll', 'direction');
const ENDS = routeChoices('sessions.terminalScroll', 'to');

/** `codepiper terminal info|copy|normal|scroll|search <id>`: the view of a session's terminal. */
export function terminalCommand(): Command {
  const terminal = new Command('terminal')
    .description("look at a session's terminal: its mode and scrollback, copy mode in and out, scrolling, a search of the scrollback")
    .summary("scroll, search or copy a session's terminal")
    .addHelpText('after', examples('codepiper terminal info app', ['rows of the scrollback that mention an error', 'codepiper terminal search app error']))
    .helpGroup(HELP_GROUPS.sessions);

  terminal.addCommand(
    withJson(new Command('info'))
      .description('the mode (normal or copy), scroll position, scrollback size and size of the terminal')
      .addHelpText('after', examples('codepiper terminal info app', 'codepiper terminal info app --json'))
      .argument('<id>', 'session id, id prefix or name')
      .action(async (ref: string, options: { json?: boolean }, command: Command) => {
        printInfo(await commandContext(command).client().call('sessions.terminalInfo', { id: ref }), options.json);
      }),
  );
  for (const [mode, description] of [
    ['copy', 'enter copy mode: the view stops following the output and can be scrolled'],
    ['normal', 'leave copy mode: back to the live screen'],
  ] as const) {
    terminal.addCommand(
      withJson(new Command(mode))
        .description(description)
        .addHelpText('after', examples(`codepiper terminal ${mode} app`, `codepiper terminal ${mode} 3f2a --json`))
        .argument('<id>', 'session id, id prefix or name')
        .action(async (ref: string, options: { json?: boolean }, command: Command) => {
          printInfo(await commandContext(command).client().call('sessions.terminalMode', { id: ref, mode }), options.json);
        }),
    );
  }
  terminal.addCommand(
    withJson(new Command('scroll'))
      .description('scroll the view up or down (by lines, default a screenful), or to the top of the scrollback or the bottom (the live screen)')
      .addHelpText('after', examples(['20 rows back', 'codepiper terminal scroll app up 20'], ['back to the live screen', 'codepiper terminal scroll app bottom']))
      .argument('<id>', 'session id, id prefix or name')
      .addArgument(new Argument('<where>', 'a direction, with lines, or an end (bottom: the live screen)').choices([...DIRECTIONS, ...ENDS]))
      .argument('[lines]', 'rows to move, with up or down', routeOption('sessions.terminalScroll', 'lines'))
      .action(async (ref: string, where: string, lines: number | undefined, options: { json?: boolean }, command: Command) => {
        const end = ENDS.includes(where);
        if (lines !== undefined && end) throw new AppError('USAGE', `lines goes with ${DIRECTIONS.join(' or ')}, not ${where}`);
        const input = end ? { to: where as 'top' | 'bottom' } : { direction: where as 'up' | 'down', ...(lines !== undefined ? { lines } : {}) };
        printInfo(await commandContext(command).client().call('sessions.terminalScroll', { id: ref, ...input }), options.json);
      }),
  );
  terminal.addCommand(
    withJson(new Command('search'))
      .description("rows of the terminal's scrollback and screen that contain the query, with their row numbers (the view does not move)")
      .addHelpText('after', examples('codepiper terminal search app "FAILED"', ['a regular expression, case-sensitive', 'codepiper terminal search app "Error: \\w+" --regex --case-sensitive']))
      .argument('<id>', 'session id, id prefix or name')
      .argument('<query>', 'the text to find')
      .option('--regex', 'the query is a regular expression')
      .option('--case-sensitive', 'match upper and lower case exactly')
      .option('--limit <n>', 'most rows to show', routeOption('sessions.terminalSearch', 'limit'))
      .action(async (ref: string, query: string, options: { regex?: boolean; caseSensitive?: boolean; limit?: number; json?: boolean }, command: Command) => {
        const found = await commandContext(command)
          .client()
          .call('sessions.terminalSearch', { id: ref, query, regex: Boolean(options.regex), caseSensitive: Boolean(options.caseSensitive), ...(options.limit ? { limit: options.limit } : {}) });
        if (options.json) return printJson(found);
        if (found.total === 0) return print(`no row of ${found.sessionId}'s ${found.scannedLines} rows matches`);
        const width = String(Math.max(...found.matches.map((match) => match.line), 1)).length;
        for (const match of found.matches) print(`${String(match.line).padStart(width)}  ${match.text}`);
        if (found.truncated) print(`(${found.total} matching rows; ${found.matches.length} shown)`);
      }),
  );
  return terminal;
}

function withJson(command: Command): Command {
  return command.option('--json', 'print JSON');
}

function printInfo(info: TerminalInfo, json: boolean | undefined): void {
  if (json) return printJson(info);
  const position = info.mode === 'copy' ? `, scrolled up ${info.scrollPosition} of ${info.historySize} rows` : `, ${info.historySize} rows of scrollback`;
  print(`${info.sessionId}: ${info.mode} mode${position} (limit ${info.historyLimit}), ${info.cols}x${info.rows}`);
}
