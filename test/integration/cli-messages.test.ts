import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness';

/** What a person reads: errors that name what was wrong and the nearest right thing, and help that shows the way. */
let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

describe('a value outside a list', () => {
  it('names the option and suggests the nearest value, before any daemon is started', async () => {
    harness = createHarness();
    const start = await harness.run(['start', '-p', 'claud', '--', 'bash']);
    expect(start.code).toBe(2);
    expect(start.stderr).toBe(
      "codepiper: option '-p, --provider <provider>' argument 'claud' is invalid. expected one of claude-code, codex, command; did you mean claude-code?\n",
    );
    const status = await harness.run(['sessions', '--status', 'idl']);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/^codepiper: option '--status <state>' argument 'idl' is invalid\. expected one of starting, .*; did you mean idle\?\n$/);
    const provider = await harness.run(['ls', '--provider', 'codx']);
    expect(provider.stderr).toMatch(/--provider .*did you mean codex\?\n$/);
    const sort = await harness.run(['library', 'list', '--sort', 'cots']);
    expect(sort.stderr).toMatch(/--sort .*did you mean cost\?\n$/);
    const nothingNear = await harness.run(['search', 'x', '--role', 'zzzzzz']);
    expect(nothingNear.stderr).toBe("codepiper: option '--role <role>' argument 'zzzzzz' is invalid. expected one of all, user, assistant, tool\n");
    expect(fs.existsSync(harness.socket)).toBe(false);
  });

  it('in a command group, suggests the nearest subcommand, as commander does for commands and options', async () => {
    harness = createHarness();
    expect((await harness.run(['sesions'])).stderr).toBe("codepiper: unknown command 'sesions'; did you mean sessions?\n");
    expect((await harness.run(['sessions', '--jsn'])).stderr).toBe("codepiper: unknown option '--jsn'; did you mean --json?\n");
    const analytics = await harness.run(['analytics', 'cost']);
    expect(analytics.code).toBe(2);
    expect(analytics.stderr).toBe('codepiper: unknown analytics report "cost"; did you mean costs? (see codepiper analytics --help)\n');
    const library = await harness.run(['library', 'lst']);
    expect(library.stderr).toBe('codepiper: unknown library command "lst"; did you mean list? (see codepiper library --help)\n');
    expect(fs.existsSync(harness.socket)).toBe(false);
  });

  it('of key names, from the daemon: says which keys are unknown and the nearest names, not all of them', async () => {
    harness = createHarness();
    const started = await harness.run(['start', '-p', 'command', '-d', harness.dir, '--name', 'first', '--', 'cat']);
    expect(started.code, started.stderr).toBe(0);
    const near = await harness.run(['keys', 'first', 'entr']);
    expect(near.code).toBe(2);
    expect(near.stderr).toBe('codepiper: unknown key "entr" (did you mean enter?)\n');
    const far = await harness.run(['keys', 'first', 'enter', 'badkey']);
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/^codepiper: unknown key "badkey"; key names are enter, esc, tab, .*ctrl\+a to ctrl\+z.*, or type any single character\n$/);
    expect(far.stderr.length).toBeLessThan(400);
    expect((await harness.run(['kill', 'first'])).code).toBe(0);
  });
});

describe('help', () => {
  it('groups the commands, leaves plumbing out, prints each default once and shows examples', async () => {
    harness = createHarness();
    const top = await harness.run(['--help']);
    expect(top.code).toBe(0);
    for (const heading of ['Sessions:', 'Policies and hooks:', 'Transcripts and analytics:', 'Daemon and setup:', 'Examples:']) expect(top.stdout).toContain(`\n${heading}\n`);
    expect(top.stdout).not.toContain('hook-forward');
    expect(top.stdout).not.toMatch(/^Commands:$/m);
    for (const line of top.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    for (const command of [['start'], ['logs'], ['audit'], ['search'], ['library', 'list'], ['policy-set', 'create']]) {
      const help = (await harness.run([...command, '--help'])).stdout;
      const joined = help.replace(/\n {10,}/g, ' ');
      expect(joined, command.join(' ')).not.toMatch(/\(default[^)]*\)[^\n]*\(default/);
      expect(joined, command.join(' ')).not.toMatch(/default: (\{\}|\[\])/);
      expect(help, command.join(' ')).toMatch(new RegExp(`\\nExamples:\\n(.*\\n)*  \\$ codepiper ${command.join(' ')}`));
    }
  });

  it('of hook-forward says what it is, which still forwards without a word when run by a hook', async () => {
    harness = createHarness();
    const help = await harness.run(['hook-forward', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: codepiper hook-forward/);
    expect(help.stdout).toContain('CODEPIPER_SESSION');
    expect(help.stdout).toContain('Examples:');
    expect((await harness.run(['hook-forward', '-h'])).stdout).toBe(help.stdout);
    const forwarded = await harness.run(['hook-forward'], { input: '{"hook_event_name":"Notification"}' });
    expect(forwarded).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});

describe('a config file with mistakes', () => {
  it('is refused with exit 2, naming every problem with its line and the nearest key', async () => {
    harness = createHarness();
    fs.mkdirSync(harness.home, { recursive: true });
    fs.writeFileSync(path.join(harness.home, 'config.json'), ['{', '  "providers": { "codex": { "binry": "/opt/codex" } }', '  "tmux": { "binary": "tmux" }', '}', ''].join('\n'));
    const expected = /config\.json has 2 problems: line 2, column 29: providers\.codex: unknown key "binry" \(did you mean binary\?\); line 3, column 3: a comma is missing after the value of "providers"/;
    // Through the autostart of any command...
    const autostarted = await harness.run(['providers']);
    expect(autostarted.code).toBe(2);
    expect(autostarted.stderr).toMatch(/^codepiper: the daemon did not start: config file /);
    expect(autostarted.stderr).toMatch(expected);
    // ... and a daemon started by hand.
    const direct = await harness.run(['daemon', 'start']);
    expect(direct.code).toBe(2);
    expect(direct.stderr).toMatch(expected);
  });
});
