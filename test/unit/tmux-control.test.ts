import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/core/errors';
import { ControlClient, parseDeadSubscription, quoteTmux, unescapeOutput, type PaneDeath } from '../../src/core/runner/tmux/control';
import { allowlistedEnv, escapeTmuxArg, THEN, Tmux, TmuxError } from '../../src/core/runner/tmux/exec';

describe('parseDeadSubscription', () => {
  it('reads a pane that exited with a status', () => {
    expect(parseDeadSubscription('%subscription-changed dead $0 @2 2 %2 : 1/3/')).toEqual<PaneDeath>({
      windowId: '@2',
      paneId: '%2',
      dead: true,
      status: 3,
      signal: undefined,
    });
    expect(parseDeadSubscription('%subscription-changed dead $12 @34 5 %67 : 1/0/')).toEqual<PaneDeath>({
      windowId: '@34',
      paneId: '%67',
      dead: true,
      status: 0,
      signal: undefined,
    });
  });

  it('reads a pane ended by a signal', () => {
    expect(parseDeadSubscription('%subscription-changed dead $0 @2 2 %2 : 1//9')).toEqual<PaneDeath>({
      windowId: '@2',
      paneId: '%2',
      dead: true,
      status: undefined,
      signal: 9,
    });
    expect(parseDeadSubscription('%subscription-changed dead $0 @2 2 %2 : 1//15')?.signal).toBe(15);
  });

  it('reads a live pane', () => {
    expect(parseDeadSubscription('%subscription-changed dead $0 @7 0 %9 : 0//')).toEqual<PaneDeath>({
      windowId: '@7',
      paneId: '%9',
      dead: false,
      status: undefined,
      signal: undefined,
    });
  });

  it('returns undefined for anything else', () => {
    for (const line of [
      '',
      'garbage',
      '%subscription-changed dead $0 @2 2 %2 : 1/3',
      '%subscription-changed dead $0 @2 2 %2 : yes/3/',
      '%subscription-changed other $0 @2 2 %2 : 1/3/',
      '%subscription-changed dead $0 @2 2 %2 : 1/3/ trailing',
      '%subscription-changed dead $0 @2 2 : 1/3/',
      '%output %1 hi',
    ]) {
      expect(parseDeadSubscription(line), line).toBeUndefined();
    }
  });
});

describe('unescapeOutput', () => {
  it('passes text without escapes through as bytes', () => {
    expect(unescapeOutput('hello world').toString()).toBe('hello world');
    expect(unescapeOutput('')).toEqual(Buffer.alloc(0));
  });

  it('turns octal escapes into bytes', () => {
    expect(unescapeOutput('a\\015\\012b')).toEqual(Buffer.from('a\r\nb'));
    expect(unescapeOutput('\\033[31mred')).toEqual(Buffer.from('\u001b[31mred'));
    expect(unescapeOutput('\\000\\177')).toEqual(Buffer.from([0, 0x7f]));
    // An escape at the very end of the line.
    expect(unescapeOutput('x\\012')).toEqual(Buffer.from('x\n'));
  });

  it('turns \\134 into a backslash', () => {
    expect(unescapeOutput('C:\\134path')).toEqual(Buffer.from('C:\\path'));
    expect(unescapeOutput('\\134\\134')).toEqual(Buffer.from('\\\\'));
  });

  it('keeps a backslash that does not start an octal escape', () => {
    expect(unescapeOutput('a\\b')).toEqual(Buffer.from('a\\b'));
    expect(unescapeOutput('\\01')).toEqual(Buffer.from('\\01'));
    expect(unescapeOutput('\\9999')).toEqual(Buffer.from('\\9999'));
    expect(unescapeOutput('end\\')).toEqual(Buffer.from('end\\'));
  });

  it('returns raw UTF-8 bytes (read as latin1) unchanged', () => {
    const text = 'héllo ❯ 😀 ─';
    const line = Buffer.from(text, 'utf8').toString('latin1');
    expect(unescapeOutput(line).equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(unescapeOutput(`${line}\\015\\012`).equals(Buffer.from(`${text}\r\n`, 'utf8'))).toBe(true);
  });
});

describe('quoteTmux', () => {
  it('wraps in single quotes', () => {
    expect(quoteTmux('hello world')).toBe("'hello world'");
    expect(quoteTmux('')).toBe("''");
    expect(quoteTmux('$HOME; #{x} "q" \\n')).toBe(`'$HOME; #{x} "q" \\n'`);
  });

  it("closes, escapes and reopens around a single quote", () => {
    expect(quoteTmux("it's")).toBe("'it'\\''s'");
    expect(quoteTmux("'")).toBe("''\\'''");
    expect(quoteTmux("a''b")).toBe("'a'\\'''\\''b'");
  });
});

describe('allowlistedEnv', () => {
  it('keeps the allowlisted variables and the LC_/XDG_ families', () => {
    const env = allowlistedEnv({
      PATH: '/usr/bin',
      HOME: '/home/u',
      USER: 'u',
      LANG: 'en_US.UTF-8',
      LC_ALL: 'C.UTF-8',
      LC_CTYPE: 'C',
      XDG_RUNTIME_DIR: '/run/user/1000',
      XDG_CONFIG_HOME: '/home/u/.config',
      TERM: 'screen',
      TZ: 'UTC',
      SHELL: '/bin/bash',
      EDITOR: 'vi',
      COLORTERM: 'truecolor',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      USER: 'u',
      LANG: 'en_US.UTF-8',
      LC_ALL: 'C.UTF-8',
      LC_CTYPE: 'C',
      XDG_RUNTIME_DIR: '/run/user/1000',
      XDG_CONFIG_HOME: '/home/u/.config',
      TERM: 'screen',
      TZ: 'UTC',
      SHELL: '/bin/bash',
      EDITOR: 'vi',
      COLORTERM: 'truecolor',
    });
  });

  it('drops CODEPIPER_*, secrets, TMUX and everything else', () => {
    const env = allowlistedEnv({
      PATH: '/bin',
      CODEPIPER_HOME: '/x',
      CODEPIPER_CLAUDE_BIN: '/y',
      ANTHROPIC_API_KEY: 'sk-secret',
      OPENAI_API_KEY: 'sk-other',
      AWS_SECRET_ACCESS_KEY: 'aws',
      GITHUB_TOKEN: 'ghp',
      TMUX: '/tmp/tmux-1000/default,1,0',
      TMUX_PANE: '%1',
      NODE_OPTIONS: '--inspect',
      path: 'lowercase is a different name',
      XDG: 'no underscore',
      LC: 'no underscore',
      UNDEFINED: undefined,
    });
    expect(env).toEqual({ PATH: '/bin', TERM: 'xterm-256color' });
  });

  it('defaults TERM, and does not override a given one', () => {
    expect(allowlistedEnv({})).toEqual({ TERM: 'xterm-256color' });
    expect(allowlistedEnv({ TERM: 'dumb' })).toEqual({ TERM: 'dumb' });
  });

  it('does not modify its input', () => {
    const input = { PATH: '/bin', SECRET: 'x' };
    allowlistedEnv(input);
    expect(input).toEqual({ PATH: '/bin', SECRET: 'x' });
  });
});

describe('escapeTmuxArg', () => {
  it('escapes a trailing semicolon', () => {
    expect(escapeTmuxArg('a;')).toBe('a\\;');
    expect(escapeTmuxArg(';')).toBe('\\;');
    expect(escapeTmuxArg('a;;')).toBe('a;\\;');
    // A literal "\;" becomes "\\;", which tmux turns back into "\;".
    expect(escapeTmuxArg('a\\;')).toBe('a\\\\;');
  });

  it('leaves anything else unchanged', () => {
    for (const arg of ['', 'a', 'a;b', ';a', 'echo hi', '--flag=x', '\\', 'a; ']) expect(escapeTmuxArg(arg), arg).toBe(arg);
  });

  it('THEN is the bare separator', () => {
    expect(THEN).toBe(';');
  });
});

describe('Tmux', () => {
  it('always targets the private server without a config file', () => {
    const tmux = new Tmux({ binary: '/usr/bin/tmux', socketName: 'cp-test', env: {} });
    expect(tmux.baseArgs).toEqual(['-L', 'cp-test', '-f', '/dev/null']);
  });

  it('TmuxError recognises a missing target', () => {
    for (const message of ['no server running on /tmp/tmux-1/x', "can't find session: =cp-x", 'no current target', 'error connecting to /tmp/x (No such file or directory)']) {
      expect(new TmuxError('tmux x failed', message, undefined).isMissingTarget, message).toBe(true);
    }
    const other = new TmuxError('tmux x failed', 'unknown command: frob', undefined);
    expect(other.isMissingTarget).toBe(false);
    expect(isAppError(other) && other.code).toBe('TMUX_FAILED');
  });
});

/** A ControlClient fed by hand: no tmux process, just the lines tmux would print. */
function harness() {
  const tmux = new Tmux({ binary: '/nonexistent/tmux', socketName: 'cp-unit', env: {} });
  const client = new ControlClient(tmux);
  const written: string[] = [];
  const events: Array<[string, ...unknown[]]> = [];
  for (const name of ['output', 'pane', 'windowClose', 'exit', 'ready'] as const) {
    client.on(name, (...args: unknown[]) => events.push([name, ...args]));
  }
  const internals = client as unknown as { child: unknown; subscribed: boolean; onData(chunk: Buffer): void };
  internals.child = { stdin: { write: (text: string) => written.push(text) } };
  const feed = (data: string | Buffer) => internals.onData(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  const attach = () => {
    internals.subscribed = true;
  };
  return { client, written, events, feed, attach, internals };
}

/** Lets promise callbacks run (microtasks only; no timers). */
const flush = () => Promise.resolve().then(() => undefined);

describe('ControlClient line parser', () => {
  it('emits %output with the pane id and the exact bytes', () => {
    const { events, feed } = harness();
    feed('%output %3 hello\\015\\012\n');
    expect(events).toEqual([['output', '%3', Buffer.from('hello\r\n')]]);
  });

  it('keeps a UTF-8 character split across two chunks intact', () => {
    const { events, feed } = harness();
    const line = Buffer.from('%output %1 a❯b\\134\n', 'utf8');
    const cut = line.indexOf(Buffer.from('❯', 'utf8')) + 1; // inside the 3-byte character
    feed(line.subarray(0, cut));
    expect(events).toEqual([]);
    feed(line.subarray(cut));
    expect(events).toHaveLength(1);
    const [name, pane, data] = events[0]!;
    expect([name, pane]).toEqual(['output', '%1']);
    expect((data as Buffer).equals(Buffer.from('a❯b\\', 'utf8'))).toBe(true);
  });

  it('splits several lines in one chunk and a line over several chunks', () => {
    const { events, feed } = harness();
    feed('%output %1 one\n%output %2 two\n%out');
    feed('put %1 thr');
    feed('ee\n');
    expect(events.map(([name, pane, data]) => [name, pane, (data as Buffer).toString()])).toEqual([
      ['output', '%1', 'one'],
      ['output', '%2', 'two'],
      ['output', '%1', 'three'],
    ]);
  });

  it('ignores an %output line without data', () => {
    const { events, feed } = harness();
    feed('%output %1\n');
    expect(events).toEqual([]);
  });

  it('emits pane deaths and window closes, and ignores other notifications', () => {
    const { events, feed } = harness();
    feed('%subscription-changed dead $0 @2 2 %2 : 1/3/\n');
    feed('%subscription-changed dead $0 @2 2 %2 : bogus\n');
    feed('%window-close @5\n%unlinked-window-close @6\n');
    feed('%layout-change @1 abc\n%sessions-changed\n%window-add @9\n');
    expect(events).toEqual([
      ['pane', { windowId: '@2', paneId: '%2', dead: true, status: 3, signal: undefined }],
      ['windowClose', '@5'],
      ['windowClose', '@6'],
    ]);
  });

  it('becomes ready on the first %session-changed only, subscribing to pane deaths', () => {
    const { client, events, feed, written } = harness();
    expect(client.running).toBe(true);
    feed('%begin 1700000000 265 0\n%end 1700000000 265 0\n');
    expect(events).toEqual([]);
    feed('%session-changed $0 cp-control\n');
    feed('%session-changed $1 other\n');
    expect(events).toEqual([['ready']]);
    expect(written).toEqual(["refresh-client -B 'dead:%*:#{pane_dead}/#{pane_dead_status}/#{pane_dead_signal}'\n"]);
  });

  it('takes block-end and notification look-alikes on a captured screen as content', async () => {
    const { client, events, feed, attach } = harness();
    attach();
    const result = client.command('capture-pane -p -t %1');
    feed('%begin 1700000000 301 1\n%end 1 1 1\n%window-close @2\n%end 1700000000 999 1\n%end 1700000000 301 1\n');
    await expect(result).resolves.toEqual(['%end 1 1 1', '%window-close @2', '%end 1700000000 999 1']);
    expect(events.filter(([name]) => name !== 'ready')).toEqual([]);
  });

  it('resolves a pending command with the lines of a flags-1 block, as UTF-8', async () => {
    const { client, feed, attach, written } = harness();
    attach();
    const result = client.command('capture-pane -p -t %1');
    expect(written).toEqual(['capture-pane -p -t %1\n']);
    feed('%begin 1700000000 300 1\nfirst ❯ line\n\n%output %1 not-a-notification-inside\nlast\n%end 1700000000 300 1\n');
    await expect(result).resolves.toEqual(['first ❯ line', '', '%output %1 not-a-notification-inside', 'last']);
  });

  it('answers commands in order', async () => {
    const { client, feed, attach } = harness();
    attach();
    const a = client.command('display-message -p a');
    const b = client.command('display-message -p b');
    feed('%begin 1 10 1\na\n%end 1 10 1\n%begin 1 11 1\nb\n%end 1 11 1\n');
    await expect(a).resolves.toEqual(['a']);
    await expect(b).resolves.toEqual(['b']);
  });

  it('rejects a command answered with %error, carrying the message', async () => {
    const { client, feed, attach } = harness();
    attach();
    const result = client.command('send-keys -t %99 Enter');
    feed("%begin 1 12 1\ncan't find pane: %99\n%error 1 12 1\n");
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TmuxError);
    expect((error as TmuxError).message).toBe("tmux send-keys failed: can't find pane: %99");
    expect((error as TmuxError).tmuxMessage).toBe("can't find pane: %99");
    expect((error as TmuxError).isMissingTarget).toBe(true);
  });

  it('lets a flags-0 block (the attach command) resolve nobody', async () => {
    const { client, feed, attach } = harness();
    attach();
    let settled = false;
    const result = client.command('list-windows').finally(() => (settled = true));
    feed('%begin 1 1 0\nnot for you\n%end 1 1 0\n');
    await flush();
    await flush();
    expect(settled).toBe(false);
    feed('%begin 1 2 1\n@1\n%end 1 2 1\n');
    await expect(result).resolves.toEqual(['@1']);
  });

  it('ignores a flags-1 block when no command is waiting', () => {
    const { feed, events } = harness();
    feed('%begin 1 1 1\nstray\n%end 1 1 1\n%output %1 x\n');
    expect(events.map(([name]) => name)).toEqual(['output']);
  });

  it('refuses commands before it is attached, and multi-line commands', async () => {
    const { client, attach, written } = harness();
    const early = await client.command('list-windows').catch((e: unknown) => e);
    expect(early).toBeInstanceOf(TmuxError);
    expect((early as TmuxError).isMissingTarget).toBe(true);
    attach();
    await expect(client.command('a\nb')).rejects.toThrow(/single line/);
    expect(written).toEqual([]);
  });

  it('fails every waiting command when it stops', async () => {
    const { client, attach, internals } = harness();
    attach();
    internals.child = { stdin: { write() {}, end() {} }, kill() {}, removeAllListeners() {} };
    const a = client.command('list-windows');
    const b = client.command('list-panes');
    client.stop();
    await expect(a).rejects.toThrow('tmux list-windows failed: control client stopped');
    await expect(b).rejects.toThrow('tmux list-panes failed: control client stopped');
    expect(client.running).toBe(false);
  });

  // BUG (reported, not fixed): the subscription is sent with send() on %session-changed, and tmux answers it with a
  // flags-1 %begin/%end block like any command of this client. A command() issued after 'ready' but before that
  // answer arrives takes the subscription's (empty) answer, and its own answer is dropped or given to the next one.
  it('a command sent right after ready gets its own answer, not the subscription\'s', async () => {
    const { client, feed } = harness();
    const result = new Promise<string[]>((resolve, reject) => client.once('ready', () => client.command('display-message -p hi').then(resolve, reject)));
    // What tmux 3.3a prints for this exchange (checked against a real server).
    feed('%session-changed $0 cp-control\n');
    feed('%begin 1 270 1\n%end 1 270 1\n'); // refresh-client -B
    feed('%begin 1 271 1\nhi\n%end 1 271 1\n'); // display-message -p hi
    await expect(result).resolves.toEqual(['hi']);
  });
});
