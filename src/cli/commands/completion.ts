import { Command, Help, type Option } from 'commander';
import { AppError } from '../../core/errors';
import { routeChoices } from '../route-options';
import { commandContext } from '../context';
import { print } from '../output';
import { examples, HELP_GROUPS, plumbing } from '../help';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** What a value of an option completes to: fixed words, or the daemon's sessions. */
const SESSIONS = '@sessions';

/** One command of the tree as completion sees it: what may follow it. */
interface CommandSpec {
  /** The command's words after `codepiper` ('' for the program itself). */
  path: string;
  description: string;
  subcommands: string[];
  options: string[];
  /** Options that take a value (the next word is that value, not a command). */
  valued: string[];
  /** Per valued option flag: its values, or SESSIONS. */
  values: Record<string, string[] | typeof SESSIONS>;
  /** Whether its first argument is a session (id, prefix or name). */
  sessionArgument: boolean;
}

/** How long `__complete sessions` waits for the daemon: a TAB must never hang. */
const COMPLETE_TIMEOUT_MS = 1500;

export function completionCommand(): Command {
  return new Command('completion')
    .description('print a completion script for bash, zsh or fish: commands, options, provider names, session names and ids')
    .summary('print a completion script: bash, zsh, fish')
    .argument('<shell>', `the shell: ${SHELLS.join(', ')}`)
    .addHelpText(
      'after',
      `
Session names and ids are asked of a running daemon at each TAB (never starting one).`,
    )
    .helpGroup(HELP_GROUPS.setup)
    .addHelpText(
      'after',
      examples(
        ['this bash only; add the line to ~/.bashrc to keep it', 'source <(codepiper completion bash)'],
        ['zsh: into a directory on $fpath, then restart zsh', 'codepiper completion zsh > "${fpath[1]}/_codepiper"'],
        'codepiper completion fish > ~/.config/fish/completions/codepiper.fish',
      ),
    )
    .action((shell: string, _options: unknown, command: Command) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw new AppError('USAGE', `unknown shell "${shell}": expected one of ${SHELLS.join(', ')}`);
      let program = command;
      while (program.parent) program = program.parent;
      print(completionScript(shell as Shell, program));
    });
}

/**
 * `codepiper __complete sessions`: the names and ids of the daemon's sessions, one per line, for the completion
 * scripts. Quick and silent: nothing at all when no daemon answers (it never starts or restarts one).
 */
export function completeHelperCommand(): Command {
  return plumbing(new Command('__complete'))
    .description('words for the completion scripts (plumbing): `sessions` prints the session names and ids of a running daemon')
    .argument('<what>', 'sessions')
    .addHelpText('after', examples(['what a TAB after `codepiper attach ` asks for', 'codepiper __complete sessions'], ['nothing at all when no daemon runs', 'codepiper __complete sessions || echo never']))
    .action(async (what: string, _options: unknown, command: Command) => {
      if (what !== 'sessions') throw new AppError('USAGE', `unknown completion "${what}": expected sessions`);
      try {
        const { sessions } = await commandContext(command).client({ autostart: false, timeoutMs: COMPLETE_TIMEOUT_MS }).call('sessions.list');
        const words = sessions.flatMap((session) => (session.name ? [session.name, session.id] : [session.id]));
        if (words.length) print(words.join('\n'));
      } catch {
        // No daemon, or one that does not answer: no words.
      }
    });
}

export function completionScript(shell: Shell, program: Command): string {
  const specs = commandSpecs(program);
  return shell === 'fish' ? fishScript(specs) : shell === 'zsh' ? zshScript(specs) : bashScript(specs);
}

/** Every visible command and subcommand with its options, as commander defines them: nothing is restated here. */
function commandSpecs(program: Command): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const visit = (command: Command, path: string) => {
    // The help each command is configured with: plumbing (hook-forward, __complete) is not offered, as it is not listed.
    const help = command.createHelp();
    // commander's own `help` subcommand is offered too, but has nothing under it.
    const subcommands = help.visibleCommands(command);
    const options = help.visibleOptions(command);
    const values: CommandSpec['values'] = {};
    for (const option of options.filter(takesValue)) {
      const words = optionValues(option);
      if (words) for (const flag of flags(option)) values[flag] = words;
    }
    const first = command.registeredArguments[0];
    specs.push({
      path,
      description: command.description(),
      subcommands: subcommands.map((sub) => sub.name()),
      options: options.flatMap(flags),
      valued: options.filter(takesValue).flatMap(flags),
      values,
      // Commands that act on a session describe their first argument as "session id, id prefix or name".
      sessionArgument: first !== undefined && /\bsession id\b/.test(first.description),
    });
    for (const sub of subcommands) if (sub.name() !== 'help') visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return specs;
}

function flags(option: Option): string[] {
  return [option.short, option.long].filter((flag): flag is string => Boolean(flag));
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

/** An option's values: its choices; a --provider without choices takes the providers the contract declares. */
function optionValues(option: Option): string[] | typeof SESSIONS | undefined {
  if (option.argChoices) return option.argChoices;
  if (option.long === '--provider') return routeChoices('sessions.create', 'provider');
  if (option.long === '--session') return SESSIONS;
  return undefined;
}

/** A word quoted for sh (and bash, zsh, fish: a single-quoted word means the same in each). */
function quote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** A case statement over the command path: `pick` gives the words printed for each, when there are any. */
function pathCase(specs: CommandSpec[], pick: (spec: CommandSpec) => string[]): string {
  const arms = specs.map((spec) => [spec.path, pick(spec)] as const).filter(([, words]) => words.length);
  return ['  case $1 in', ...arms.map(([path, words]) => `    ${quote(path)}) printf '%s\\n' ${quote(words.join(' '))} ;;`), '  esac'].join('\n');
}

/**
 * The candidates for the word under the cursor, in sh that bash and zsh both run (positional parameters, case,
 * printf; no arrays, no word splitting of variables): `_codepiper_candidates <word> <codepiper> <words before it>`
 * prints the words that may come next, space-separated. The command tree is in case tables, so a TAB runs no Node
 * except to ask the daemon for session names.
 */
function candidatesFunctions(specs: CommandSpec[]): string {
  const valueArms = specs.flatMap((spec) =>
    Object.entries(spec.values).map(([flag, words]) => `    ${quote(`${spec.path} ${flag}`)}) printf '%s\\n' ${quote(words === SESSIONS ? SESSIONS : words.join(' '))} ;;`),
  );
  const sessionPaths = specs.filter((spec) => spec.sessionArgument).map((spec) => quote(spec.path));
  return `_codepiper_subcommands() {
${pathCase(specs, (spec) => spec.subcommands)}
}

_codepiper_options() {
${pathCase(specs, (spec) => spec.options)}
}

_codepiper_valued() {
${pathCase(specs, (spec) => spec.valued)}
}

_codepiper_values() {
  case "$1 $2" in
${valueArms.join('\n')}
  esac
}

_codepiper_session_argument() {
  case $1 in
    ${sessionPaths.length ? sessionPaths.join('|') : "'\\0'"}) return 0 ;;
  esac
  return 1
}

# Session names and ids from a running daemon; nothing (and no daemon started) when none runs.
_codepiper_sessions() {
  if [ -n "$2" ]; then "$1" --socket "$2" __complete sessions 2>/dev/null; else "$1" __complete sessions 2>/dev/null; fi
}

_codepiper_candidates() {
  local cur="$1" bin="$2" cmdpath="" expect="" socket="" positional=0 word
  shift 2
  for word in "$@"; do
    if [ -n "$expect" ]; then
      [ "$expect" = --socket ] && socket="$word"
      expect=""
      continue
    fi
    case $word in
      --) positional=1; continue ;;
      -*=*) continue ;;
      -*)
        case " $(_codepiper_valued "$cmdpath") $(_codepiper_valued '') " in
          *" $word "*) expect="$word" ;;
        esac
        continue ;;
    esac
    if [ "$positional" -eq 0 ]; then
      case " $(_codepiper_subcommands "$cmdpath") " in
        *" $word "*) cmdpath="\${cmdpath:+$cmdpath }$word"; continue ;;
      esac
    fi
    positional=$((positional + 1))
  done
  if [ -n "$expect" ]; then
    local values
    values="$(_codepiper_values "$cmdpath" "$expect")"
    if [ "$values" = ${SESSIONS} ]; then _codepiper_sessions "$bin" "$socket"; else printf '%s\\n' "$values"; fi
    return
  fi
  case $cur in
    -*) _codepiper_options "$cmdpath"; return ;;
  esac
  if [ "$positional" -eq 0 ]; then
    _codepiper_subcommands "$cmdpath"
    _codepiper_session_argument "$cmdpath" && _codepiper_sessions "$bin" "$socket"
  fi
  return 0
}`;
}

function bashScript(specs: CommandSpec[]): string {
  return `# bash completion for codepiper (codepiper completion bash).
# Load it with: source <(codepiper completion bash)

${candidatesFunctions(specs)}

_codepiper() {
  local IFS=$' \\t\\n' cur="\${COMP_WORDS[COMP_CWORD]}"
  COMPREPLY=($(compgen -W "$(_codepiper_candidates "$cur" "\${COMP_WORDS[0]}" "\${COMP_WORDS[@]:1:COMP_CWORD-1}")" -- "$cur"))
}

complete -o default -F _codepiper codepiper
`;
}

function zshScript(specs: CommandSpec[]): string {
  return `#compdef codepiper
# zsh completion for codepiper (codepiper completion zsh).
# Save it as _codepiper in a directory on $fpath, or load it with: source <(codepiper completion zsh)

${candidatesFunctions(specs)}

_codepiper() {
  local -a candidates
  candidates=(\${=$(_codepiper_candidates "\${words[CURRENT]}" "\${words[1]}" "\${(@)words[2,CURRENT-1]}")})
  if (( \${#candidates} )); then
    compadd -a candidates
  else
    _files
  fi
}

if [ "\${funcstack[1]}" = _codepiper ]; then
  _codepiper "$@"
else
  compdef _codepiper codepiper
fi
`;
}

/** fish: one `complete` line per word, conditioned on the subcommands seen so far. */
function fishScript(specs: CommandSpec[]): string {
  const lines = ['# fish completion for codepiper (codepiper completion fish).', '# Save it as ~/.config/fish/completions/codepiper.fish', ''];
  lines.push(
    'function __codepiper_path_is',
    '    # true when the subcommands typed so far are exactly $argv',
    '    set -l words (commandline -opc)',
    '    set -e words[1]',
    '    set -l path',
    '    for word in $words',
    '        switch $word',
    '            case "-*"',
    '                continue',
    '        end',
    '        set -l next (string join " " $path $word)',
    '        if contains -- $next $__codepiper_paths',
    '            set path $path $word',
    '        end',
    '    end',
    '    test "$path" = "$argv"',
    'end',
    '',
    'function __codepiper_sessions',
    '    codepiper __complete sessions 2>/dev/null',
    'end',
    '',
  );
  const paths = specs.filter((spec) => spec.path !== '').map((spec) => quote(spec.path));
  lines.push(`set -g __codepiper_paths ${paths.join(' ')}`, '');
  const describe = (text: string) => quote(text.split('\n')[0]!.slice(0, 80));
  for (const spec of specs) {
    const condition = `-n ${quote(`__codepiper_path_is ${spec.path}`)}`;
    const children = specs.filter((child) => child.path !== '' && child.path.split(' ').slice(0, -1).join(' ') === spec.path);
    for (const child of children) {
      lines.push(`complete -c codepiper -f ${condition} -a ${quote(child.path.split(' ').at(-1)!)} -d ${describe(child.description)}`);
    }
    if (spec.sessionArgument) lines.push(`complete -c codepiper -f ${condition} -a '(__codepiper_sessions)'`);
    for (const flag of spec.options) {
      const name = flag.startsWith('--') ? `-l ${quote(flag.slice(2))}` : `-s ${quote(flag.slice(1))}`;
      const values = spec.values[flag];
      const argument = values === SESSIONS ? " -x -a '(__codepiper_sessions)'" : values ? ` -x -a ${quote(values.join(' '))}` : spec.valued.includes(flag) ? ' -r' : '';
      lines.push(`complete -c codepiper ${condition} ${name}${argument}`);
    }
  }
  return lines.join('\n') + '\n';
}
