import { Command } from 'commander';
import type { RouteOutput } from '../../core/api';
import { flattenSettings, knownKey, patchFor, settingAt, type SettingsObject } from '../../core/config/settings-keys';
import { AppError, isAppError } from '../../core/errors';
import { listWithOr, nearestNames } from '../../core/nearest';
import { commandContext, type CommandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';
import { print, printJson } from '../output';

type SettingsState = RouteOutput<'settings.get'>;
type SettingsUpdate = RouteOutput<'settings.update'>;

/**
 * Where the settings are read and changed: the running daemon's routes (it applies what it can at once), or, with no
 * daemon running, the file itself through the same code the daemon runs (the next daemon reads it as it starts).
 * `config` never starts a daemon: changing a setting should not need one, and a file the daemon would refuse must
 * stay fixable with `config unset`.
 */
interface SettingsStore {
  daemon: boolean;
  /** Why the file is changed directly although a daemon runs (an older one, without these routes). */
  note?: string;
  state: SettingsState;
  update(patch: SettingsObject): Promise<SettingsUpdate>;
}

async function openStore(context: CommandContext): Promise<SettingsStore> {
  const client = context.client({ autostart: false });
  let note: string | undefined;
  try {
    const state = await client.call('settings.get');
    return { daemon: true, state, update: (patch) => client.call('settings.update', patch) };
  } catch (error) {
    // A remote daemon's settings are changed through it or not at all: this machine's file is not its file.
    if (context.remote) throw error;
    if (!(isAppError(error) && (error.code === 'DAEMON_NOT_RUNNING' || error.code === 'ROUTE_NOT_FOUND'))) throw error;
    if (error.code === 'ROUTE_NOT_FOUND') note = 'the running daemon is older and takes no settings; it reads the file when it restarts: codepiper daemon restart';
  }
  // Loaded only here: the schema (zod) stays out of every other command's start-up.
  const { readSettings, updateSettings } = await import('../../core/config/settings');
  const file = context.paths.config;
  return { daemon: false, ...(note ? { note } : {}), state: readSettings(file), update: async (patch) => updateSettings(file, patch) };
}

/** A key the schema knows, or one the file holds (a misspelt one, to be unset); else an error with the nearest. */
function checkKey(state: SettingsState, key: string, options: { inFile?: boolean } = {}): void {
  if (!/^[^.]+(\.[^.]+)*$/.test(key)) throw new AppError('USAGE', `"${key}" is not a setting key: keys are names joined by dots, like policies.defaultAction`);
  if (knownKey(state.keys, key)) return;
  if (options.inFile && settingAt(state.settings, key.split('.')) !== undefined) return;
  const near = nearestNames(key, state.keys.map((known) => known.key));
  const hint = near.length ? `; did you mean ${listWithOr(near)}?` : '';
  throw new AppError('USAGE', `unknown setting "${key}"${hint} (codepiper config list --all shows every key)`, { details: { key, nearest: near } });
}

/** A value on the command line: JSON when it reads as JSON (true, 3, ["a"], {"k": 1}), else the text itself. */
export function parseSettingValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** How a value is shown: text as it is, anything else as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What happened to the daemon's view of a change, in one line. */
function effect(store: SettingsStore, result: SettingsUpdate): string {
  if (!result.changed.length) return 'unchanged: the file already says so';
  if (store.note) return `written to ${result.path}; ${store.note}`;
  if (!store.daemon) return `written to ${result.path}; the daemon is not running and reads it when it starts`;
  const later = result.changed.filter((key) => !result.applied.includes(key));
  if (!later.length) return `written to ${result.path}; the daemon applied it at once`;
  return `written to ${result.path}; ${later.join(', ')} ${later.length === 1 ? 'applies' : 'apply'} after a restart: codepiper daemon restart`;
}

/** The file has problems: `get` and `list` still show what they can, and say so. */
function problemsNote(state: SettingsState): string | undefined {
  if (!state.problems.length) return undefined;
  const first = state.problems
    .slice(0, 3)
    .map((p) => `line ${p.line}, column ${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`)
    .join('; ');
  return `${state.path} has ${state.problems.length === 1 ? 'a problem' : `${state.problems.length} problems`}: ${first}`;
}

function requireReadable(state: SettingsState): SettingsObject {
  if (state.settings) return state.settings;
  throw new AppError('CONFIG_INVALID', `${problemsNote(state) ?? `${state.path} is not a JSON object`}; fix it by hand`, { details: { file: state.path, problems: state.problems } });
}

export function configCommand(): Command {
  const config = new Command('config')
    .description("read and change the daemon's settings (config.json), through the daemon when it runs")
    .summary("read and change the daemon's settings")
    .helpGroup(HELP_GROUPS.setup)
    .addHelpText(
      'after',
      `
Keys are dotted (policies.defaultAction). A change is a JSON merge patch of the file, checked against the settings
schema before anything is written, and written atomically (the old file stays whole if anything fails). With the
daemon running it goes through it, which applies at once what it can and says what needs \`codepiper daemon
restart\`; without a daemon the file is changed directly and the next daemon reads it. A file with comments or
trailing commas is never rewritten: edit it by hand.`,
    )
    .addHelpText('after', examples('codepiper config list', 'codepiper config set policies.defaultAction deny', 'codepiper config path'));

  config
    .command('get')
    .description('print one setting (exit 1 when it is not set: the default applies)')
    .argument('<key>', 'the setting, dotted: policies.defaultAction')
    .option('--json', 'print JSON: {key, value, set, appliesAt}')
    .addHelpText('after', examples('codepiper config get policies.defaultAction', ['in a script', 'codepiper config get tmux.binary --json']))
    .action(async (key: string, options: { json?: boolean }, command: Command) => {
      const store = await openStore(commandContext(command));
      checkKey(store.state, key, { inFile: true });
      const value = settingAt(requireReadable(store.state), key.split('.'));
      const appliesAt = knownKey(store.state.keys, key)?.appliesAt ?? 'restart';
      if (options.json) printJson({ key, value: value ?? null, set: value !== undefined, appliesAt });
      else if (value !== undefined) print(shown(value));
      if (value === undefined) process.exitCode = 1;
    });

  config
    .command('set')
    .description('change one setting: the value is read as JSON when it can be (true, 3, ["a"]), else as text')
    .argument('<key>', 'the setting, dotted: policies.defaultAction')
    .argument('<value>', 'the new value; an object is merged into what is there')
    .option('--json', 'print JSON: the file after the change, what changed, what applied at once and what waits for a restart')
    .addHelpText('after', examples('codepiper config set policies.defaultAction deny', 'codepiper config set transcripts.scanOnStart false', ['a list', `codepiper config set transcripts.claude '["/home/me/.claude"]'`]))
    .action(async (key: string, text: string, options: { json?: boolean }, command: Command) => {
      const store = await openStore(commandContext(command));
      checkKey(store.state, key);
      const value = parseSettingValue(text);
      if (value === null) throw new AppError('USAGE', `null is not a value of ${key}; to remove the setting, run: codepiper config unset ${key}`);
      const result = await store.update(patchFor(key.split('.'), value));
      if (options.json) return printJson({ ...result, daemon: store.daemon });
      print(`${key} = ${JSON.stringify(value)}\n${effect(store, result)}`);
    });

  config
    .command('unset')
    .description('remove one setting from the file, so that its default applies')
    .argument('<key>', 'the setting, dotted; a misspelt key the file holds may be removed too')
    .option('--json', 'print JSON: the file after the change, what changed, what applied at once and what waits for a restart')
    .addHelpText('after', examples('codepiper config unset policies.defaultAction', 'codepiper config unset providers --json'))
    .action(async (key: string, options: { json?: boolean }, command: Command) => {
      const store = await openStore(commandContext(command));
      checkKey(store.state, key, { inFile: true });
      const result = await store.update(patchFor(key.split('.'), null));
      if (options.json) return printJson({ ...result, daemon: store.daemon });
      print(result.changed.length ? `${key} removed\n${effect(store, result)}` : `${key} was not set in ${result.path}`);
    });

  config
    .command('list')
    .description('print the settings of the file, one "key = value" a line; with --all, every key there is')
    .option('--all', 'every key the settings schema knows, with when a change applies and what it does')
    .option('--json', 'print JSON: path, settings, problems, and what waits for a restart')
    .addHelpText('after', examples('codepiper config list', ['every key, set or not', 'codepiper config list --all'], 'codepiper config list --json'))
    .action(async (options: { json?: boolean; all?: boolean }, command: Command) => {
      const store = await openStore(commandContext(command));
      const { state } = store;
      if (options.json) return printJson({ ...state, flat: Object.fromEntries(flattenSettings(state.settings ?? {})), daemon: store.daemon });
      const note = problemsNote(state);
      if (options.all) {
        const set = new Map(flattenSettings(state.settings ?? {}));
        const lines = state.keys
          .filter((key) => key.kind === 'value')
          .map((key) => {
            const value = set.has(key.key) ? JSON.stringify(set.get(key.key)) : '(not set)';
            return `${key.key} = ${value}  [${key.appliesAt === 'now' ? 'applies at once' : 'needs a restart'}]${key.description ? `  ${key.description}` : ''}`;
          });
        print(lines.join('\n'));
      } else {
        const flat = flattenSettings(state.settings ?? {});
        if (flat.length) print(flat.map(([key, value]) => `${key} = ${JSON.stringify(value)}`).join('\n'));
        else if (!note) print(`no settings in ${state.path}${state.exists ? '' : ' (it does not exist)'}: the defaults apply (codepiper config list --all shows every key)`);
      }
      if (note) process.stderr.write(`codepiper: ${note}\n`);
      if (state.restartRequired) print(`waiting for a restart: ${state.restartKeys.join(', ')} (codepiper daemon restart)`);
    });

  config
    .command('path')
    .description('print where the settings file is (the daemon\'s own, when it runs)')
    .option('--json', 'print JSON: {path, exists}')
    .addHelpText('after', examples('codepiper config path', ['open it in an editor', '"$EDITOR" "$(codepiper config path)"']))
    .action(async (options: { json?: boolean }, command: Command) => {
      const { state } = await openStore(commandContext(command));
      if (options.json) printJson({ path: state.path, exists: state.exists });
      else print(state.path);
    });

  return config;
}
