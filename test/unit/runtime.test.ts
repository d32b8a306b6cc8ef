import { describe, expect, it } from 'vitest';
import { RUNTIMES, type LaunchContext } from '../../src/core/providers/runtime';

const claude = RUNTIMES['claude-code'];
const codex = RUNTIMES.codex;
const command = RUNTIMES.command;

const RULE = '─'.repeat(60);

const CLAUDE_IDLE = [
  '╭───────────────────────────────────────────╮',
  '│ ✻ Welcome to Claude Code!                 │',
  '╰───────────────────────────────────────────╯',
  '',
  '⏺ Done. The tests pass.',
  '',
  RULE,
  '❯ ',
  RULE,
  '  ? for shortcuts',
].join('\n');

const CLAUDE_BUSY = [
  '⏺ Reading src/index.ts',
  '',
  '✻ Thinking… (esc to interrupt)',
  '',
  RULE,
  '❯ ',
  RULE,
  '  ? for shortcuts',
].join('\n');

const CLAUDE_PERMISSION = [
  '╭──────────────────────────────────────────────────────────╮',
  '│ Bash command                                             │',
  '│                                                          │',
  '│   npm test                                               │',
  '│   Run the tests                                          │',
  '│                                                          │',
  '│ Do you want to proceed?                                  │',
  '│ ❯ 1. Yes                                                 │',
  "│   2. Yes, and don't ask again for npm test commands      │",
  '│   3. No, and tell Claude what to do differently (esc)    │',
  '╰──────────────────────────────────────────────────────────╯',
].join('\n');

const CLAUDE_TRUST = [
  '╭──────────────────────────────────────────────────────────╮',
  '│ Do you trust the files in this folder?                   │',
  '│                                                          │',
  '│ /home/user/project                                       │',
  '│                                                          │',
  '│ ❯ 1. Yes, proceed                                        │',
  '│   2. No, exit                                            │',
  '╰──────────────────────────────────────────────────────────╯',
].join('\n');

const CODEX_IDLE = [
  '╭──────────────────────────────────────────────╮',
  '│ >_ OpenAI Codex (v0.20.0)                    │',
  '│ session: 0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b │',
  '╰──────────────────────────────────────────────╯',
  '',
  '› ',
  '',
  '  ⏎ send   ⌃J newline   ⌃T transcript   ⌃C quit',
].join('\n');

const CODEX_BUSY = ['• Working (0s • esc to interrupt)', '', '› ', ''].join('\n');

const CODEX_PERMISSION = [
  'Would you like to run the following command?',
  '',
  '  $ rm -rf build',
  '',
  '› 1. Yes, proceed',
  '  2. Yes, and don’t ask again for this command',
  '  3. No, and tell Codex what to do differently',
].join('\n');

describe('Claude Code screen states', () => {
  it('reads the idle prompt box', () => {
    expect(claude.stateFromScreen(CLAUDE_IDLE)).toBe('idle');
    expect(claude.stateFromScreen([RULE, '> ', RULE].join('\n'))).toBe('idle');
    expect(claude.stateFromScreen(['╭' + RULE + '╮', '│ > hello │', '╰' + RULE + '╯'].join('\n'))).toBe('idle');
  });

  it('needs both a prompt line and a rule for idle', () => {
    expect(claude.stateFromScreen('❯ ')).toBeUndefined();
    expect(claude.stateFromScreen(RULE)).toBeUndefined();
    expect(claude.stateFromScreen(['───', '❯ ', '───'].join('\n'))).toBeUndefined(); // a short rule is not the box
  });

  it('reads a busy marker above the box as running', () => {
    expect(claude.stateFromScreen(CLAUDE_BUSY)).toBe('running');
    expect(claude.stateFromScreen(['✽ Compacting… (12s · ↑ 1.2k tokens · ctrl+c to interrupt)', RULE, '❯ ', RULE].join('\n'))).toBe('running');
    expect(claude.stateFromScreen(['· Pondering…', RULE, '❯ ', RULE].join('\n'))).toBe('running');
  });

  it('reads the permission box as needs_permission', () => {
    expect(claude.stateFromScreen(CLAUDE_PERMISSION)).toBe('needs_permission');
    expect(claude.stateFromScreen('Do you want to make this edit to src/a.ts?\n❯ 1. Yes')).toBe('needs_permission');
    expect(claude.stateFromScreen('Do you want to create notes.md?')).toBe('needs_permission');
    expect(claude.stateFromScreen('   ❯ 1. Yes')).toBe('needs_permission');
    // The permission question wins over a busy marker still on screen.
    expect(claude.stateFromScreen(`✻ Thinking… (esc to interrupt)\n${CLAUDE_PERMISSION}`)).toBe('needs_permission');
  });

  it('reads the trust prompt as needs_input, although it also offers "❯ 1. Yes"', () => {
    expect(claude.stateFromScreen(CLAUDE_TRUST)).toBe('needs_input');
  });

  it('says nothing about an empty or unrelated screen', () => {
    expect(claude.stateFromScreen('')).toBeUndefined();
    expect(claude.stateFromScreen('$ ls\nREADME.md  src\n$')).toBeUndefined();
    expect(claude.stateFromScreen('Loading...')).toBeUndefined();
  });

  it('spots the busy marker in streamed output', () => {
    expect(claude.busyInStream('\u001b[2K✻ Thinking… (esc to interrupt)')).toBe(true);
    expect(claude.busyInStream('ctrl+c to interrupt')).toBe(true);
    expect(claude.busyInStream('✳ Reticulating…')).toBe(true);
    expect(claude.busyInStream('* Working…')).toBe(true);
    expect(claude.busyInStream('Thinking about it')).toBe(false);
    expect(claude.busyInStream('❯ ')).toBe(false);
    expect(claude.outputMeansRunning).toBe(false);
  });
});

describe('Codex screen states', () => {
  it('reads the › prompt as idle', () => {
    expect(codex.stateFromScreen(CODEX_IDLE)).toBe('idle');
    expect(codex.stateFromScreen('› explain this repo')).toBe('idle');
    expect(codex.stateFromScreen('  › indented')).toBeUndefined();
  });

  it('reads the working line as running', () => {
    expect(codex.stateFromScreen(CODEX_BUSY)).toBe('running');
    expect(codex.busyInStream('• Working (3s • esc to interrupt)')).toBe(true);
    expect(codex.busyInStream('•  Working')).toBe(true);
    expect(codex.busyInStream('working on it')).toBe(false);
    expect(codex.outputMeansRunning).toBe(false);
  });

  it('reads an approval question as needs_permission', () => {
    expect(codex.stateFromScreen(CODEX_PERMISSION)).toBe('needs_permission');
    expect(codex.stateFromScreen('Would you like to make the following edits?')).toBe('needs_permission');
    expect(codex.stateFromScreen('› 1. Yes')).toBe('needs_permission');
  });

  it('says nothing about an empty or unrelated screen', () => {
    expect(codex.stateFromScreen('')).toBeUndefined();
    expect(codex.stateFromScreen('compiling...\n> not codex')).toBeUndefined();
  });

  it('finds its session id on screen', () => {
    expect(codex.agentSessionIdFromScreen!(CODEX_IDLE)).toBe('0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b');
    expect(codex.agentSessionIdFromScreen!('Session ID: 0199A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B')).toBe('0199A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B');
    expect(codex.agentSessionIdFromScreen!('session · 11111111-2222-3333-4444-555555555555 ·')).toBe('11111111-2222-3333-4444-555555555555');
    expect(codex.agentSessionIdFromScreen!('session: not-a-uuid')).toBeUndefined();
    expect(codex.agentSessionIdFromScreen!('0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b')).toBeUndefined();
    expect(codex.agentSessionIdFromScreen!('')).toBeUndefined();
  });
});

describe('generic permission prompts', () => {
  it('are recognised for every provider', () => {
    for (const screen of ['Apply edit? (Y)es/(N)o [Yes]:', 'Allow execution? [y/n]', '● Yes, allow once', 'Allow command?']) {
      expect(command.stateFromScreen(screen), screen).toBe('needs_permission');
      expect(codex.stateFromScreen(screen), screen).toBe('needs_permission');
      expect(claude.stateFromScreen(screen), screen).toBe('needs_permission');
    }
  });

  it('leave the command runtime undecided otherwise, where any output means running', () => {
    expect(command.stateFromScreen('$ ')).toBeUndefined();
    expect(command.stateFromScreen(CLAUDE_IDLE)).toBeUndefined();
    expect(command.busyInStream('anything')).toBe(false);
    expect(command.outputMeansRunning).toBe(true);
  });
});

describe('launch and resume argv', () => {
  const ctx = (overrides: Partial<LaunchContext> = {}): LaunchContext => ({
    binary: '/usr/local/bin/agent',
    args: ['--model', 'x'],
    dangerousMode: false,
    agentSessionId: null,
    ...overrides,
  });
  const ID = '123e4567-e89b-42d3-a456-426614174000';

  it('claude: --session-id on launch, --resume on resume, the dangerous flag when asked', () => {
    expect(claude.launchArgv(ctx())).toEqual(['/usr/local/bin/agent', '--model', 'x']);
    expect(claude.launchArgv(ctx({ agentSessionId: ID }))).toEqual(['/usr/local/bin/agent', '--session-id', ID, '--model', 'x']);
    expect(claude.launchArgv(ctx({ agentSessionId: ID, dangerousMode: true }))).toEqual([
      '/usr/local/bin/agent',
      '--session-id',
      ID,
      '--dangerously-skip-permissions',
      '--model',
      'x',
    ]);
    expect(claude.resumeArgv(ctx({ agentSessionId: ID }))).toEqual(['/usr/local/bin/agent', '--resume', ID, '--model', 'x']);
    expect(claude.resumeArgv(ctx({ agentSessionId: ID, dangerousMode: true, args: [] }))).toEqual([
      '/usr/local/bin/agent',
      '--resume',
      ID,
      '--dangerously-skip-permissions',
    ]);
    expect(claude.resumeArgv(ctx())).toBeUndefined();
  });

  it('claude: chooses a fresh uuid for each session', () => {
    const a = claude.newAgentSessionId!();
    const b = claude.newAgentSessionId!();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(claude.quitKeys).toEqual([{ key: 'esc' }, { literal: '/exit' }, { key: 'enter' }]);
  });

  it('codex: `resume <id>` and its own dangerous flag', () => {
    expect(codex.launchArgv(ctx())).toEqual(['/usr/local/bin/agent', '--model', 'x']);
    expect(codex.launchArgv(ctx({ dangerousMode: true, agentSessionId: ID }))).toEqual([
      '/usr/local/bin/agent',
      '--dangerously-bypass-approvals-and-sandbox',
      '--model',
      'x',
    ]);
    expect(codex.resumeArgv(ctx({ agentSessionId: ID }))).toEqual(['/usr/local/bin/agent', 'resume', ID, '--model', 'x']);
    expect(codex.resumeArgv(ctx({ agentSessionId: ID, dangerousMode: true }))).toEqual([
      '/usr/local/bin/agent',
      'resume',
      ID,
      '--dangerously-bypass-approvals-and-sandbox',
      '--model',
      'x',
    ]);
    expect(codex.resumeArgv(ctx())).toBeUndefined();
    expect(codex.newAgentSessionId).toBeUndefined();
    expect(codex.quitKeys).toEqual([{ key: 'esc' }, { literal: '/quit' }, { key: 'enter' }]);
  });

  it('command: the argv is the args, never resumed, never given dangerous flags', () => {
    const args = ['bash', '-lc', 'echo hi;'];
    const context = ctx({ binary: null, args, dangerousMode: true, agentSessionId: ID });
    const argv = command.launchArgv(context);
    expect(argv).toEqual(args);
    expect(argv).not.toBe(args); // a copy
    expect(command.resumeArgv(context)).toBeUndefined();
    expect(command.quitKeys).toEqual([{ key: 'ctrl+c' }]);
  });
});

describe('answering a permission question', () => {
  const menu = '╭─ Bash ─╮\n│ Do you want to proceed?\n│ ❯ 1. Yes\n│   2. Yes, and don\'t ask again\n│   3. No, and tell Claude what to do differently (esc)';
  const quoted = 'Run shell command? (Y)es/(N)o [Yes]:\nAllow command?\n';
  it('answers Claude Code and Codex with 1 / Esc when their menu is at the bottom, whatever else the screen shows', () => {
    const codexMenu = 'Would you like to run the following command?\n  $ make\n› 1. Yes, proceed\n  2. No, and tell Codex what to do differently (esc)';
    for (const provider of ['claude-code', 'codex'] as const) {
      for (const shown of [quoted + menu, quoted + codexMenu]) {
        expect(RUNTIMES[provider].permissionKeys(shown, 'approve')).toEqual([{ literal: '1' }]);
        expect(RUNTIMES[provider].permissionKeys(shown, 'deny')).toEqual([{ key: 'esc' }]);
      }
      // A quoted question without the menu: no key, so no "1" lands in the prompt.
      expect(RUNTIMES[provider].permissionKeys(`${quoted}\n────────\n❯ \n────────`, 'approve')).toBeUndefined();
    }
  });
  it('answers other programs by the question at the bottom of the screen only', () => {
    const aider = 'some output\nRun shell command? (Y)es/(N)o/(D)on\'t ask again [Yes]: ';
    expect(RUNTIMES.command.permissionKeys(aider, 'approve')).toEqual([{ literal: 'y' }, { key: 'enter' }]);
    expect(RUNTIMES.command.permissionKeys(aider, 'deny')).toEqual([{ literal: 'n' }, { key: 'enter' }]);
    // A letter prompt quoted above a numbered menu must not turn "deny" into "n, Enter" (Enter would pick "Yes").
    expect(RUNTIMES.command.permissionKeys(quoted + menu, 'deny')).toEqual([{ key: 'esc' }]);
    expect(RUNTIMES.command.permissionKeys('● Shell ls\n  Yes, allow once\n  No (esc)', 'approve')).toEqual([{ literal: '1' }]);
    expect(RUNTIMES.command.permissionKeys('$ just a shell prompt', 'approve')).toBeUndefined();
  });
});
