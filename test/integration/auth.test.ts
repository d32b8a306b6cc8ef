import { spawn } from 'node:child_process';
import { Secret, TOTP } from 'otpauth';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { spawnOnPty } from '../helpers/pty-screen';
import { waitFor } from '../helpers/wait';

const PASSWORD = 'the first long password';
const NEW_PASSWORD = 'a reset password, long enough';

let harness: Harness;
let client: Client;
const { api } = daemonApi(() => client);
/** Every secret a command printed: none may show up in the audit log. */
const secrets: string[] = [PASSWORD, NEW_PASSWORD];

beforeAll(async () => {
  harness = createHarness();
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

async function cli(args: string[], input?: string) {
  return harness.run(args, input === undefined ? {} : { input });
}

describe('codepiper auth and token over the socket', () => {
  it('auth bootstrap prints a new password each time, which setup takes once', async () => {
    const status = await cli(['auth', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ setupDone: false, mfaEnabled: false, sessions: [] });

    const first = await cli(['auth', 'bootstrap']);
    expect(first.code, first.stderr).toBe(0);
    const old = /bootstrap password: (\S+)/.exec(first.stdout)![1]!;
    const second = JSON.parse((await cli(['auth', 'bootstrap', '--json'])).stdout).bootstrapPassword as string;
    secrets.push(old, second);
    expect(second).not.toBe(old);

    expect((await api('POST', '/auth/setup', { password: PASSWORD, bootstrapPassword: old })).json.error.code).toBe('AUTH_FAILED');
    const short = await api('POST', '/auth/setup', { password: 'short', bootstrapPassword: second });
    expect(short.status).toBe(400);
    expect(short.json.error.message).toMatch(/12 characters/);

    const response = await client.request({ method: 'POST', path: '/auth/setup', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD, bootstrapPassword: second }) });
    expect(response.statusCode).toBe(200);
    await response.body.text();
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^codepiper_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\//);
    expect(cookie).not.toMatch(/Secure/);

    expect((await api('POST', '/auth/setup', { password: PASSWORD, bootstrapPassword: second })).json.error.code).toBe('AUTH_ALREADY_SET_UP');
    const again = await cli(['auth', 'bootstrap']);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/already set up/);
    const after = JSON.parse((await cli(['auth', 'status', '--json'])).stdout);
    expect(after).toMatchObject({ setupDone: true, bootstrapPending: false });
    expect(after.sessions).toHaveLength(1);
  });

  it('token create prints cpt_… once; list shows its prefix; revoke by name removes it', async () => {
    const made = await cli(['token', 'create', '--name', 'ci', '--scope', 'read', '--expires', '30d']);
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.trim();
    secrets.push(token);
    expect(token).toMatch(/^cpt_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).toMatch(/shown this once/);

    const listed = await cli(['token', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/ci\s+read\s+cpt_\S{8}…\s+never/);
    expect(listed.stdout).not.toContain(token);
    const json = JSON.parse((await cli(['token', 'list', '--json'])).stdout);
    expect(json).toEqual([expect.objectContaining({ name: 'ci', scope: 'read', prefix: token.slice(0, 12), lastUsedAt: null })]);
    expect(Date.parse(json[0].expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const taken = await cli(['token', 'create', '--name', 'ci', '--scope', 'admin']);
    expect(taken.code).toBe(5);
    expect(taken.stderr).toMatch(/named "ci" exists/);
    const badScope = await cli(['token', 'create', '--name', 'x', '--scope', 'reed']);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toMatch(/did you mean read/);
    const badLifetime = await cli(['token', 'create', '--name', 'x', '--scope', 'read', '--expires', '3 days']);
    expect(badLifetime.code).toBe(2);
    expect(badLifetime.stderr).toMatch(/expiresIn.*30d/);

    const revoked = await cli(['token', 'revoke', 'ci']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked tok_[0-9a-f]+ ci/);
    expect(JSON.parse((await cli(['token', 'list', '--json'])).stdout)).toEqual([]);
    const gone = await cli(['token', 'revoke', 'ci']);
    expect(gone.code).toBe(4);
  });

  it('auth mfa draws a QR code, takes a code on stdin and prints 10 recovery codes', async () => {
    const child = spawn(process.execPath, [BIN, 'auth', 'mfa'], { env: harness.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const secret = await waitFor(() => /secret: ([A-Z2-7]+)/.exec(stdout)?.[1], { what: 'the secret from auth mfa', timeoutMs: 15_000 });
    await waitFor(() => stderr.includes('code from the app'), { what: 'the code prompt', timeoutMs: 5_000 });
    secrets.push(secret);
    expect(stdout).toMatch(/[█▀▄]/);
    expect(stdout).toMatch(/otpauth:\/\/totp\//);
    const totp = new TOTP({ secret: Secret.fromBase32(secret) });
    child.stdin.end(`${totp.generate()}\n`);
    expect(await exited, stderr).toBe(0);
    const codes = stdout.split('Recovery codes')[1]!.trim().split('\n').slice(1).map((line) => line.trim());
    expect(codes).toHaveLength(10);
    secrets.push(...codes);

    expect((await api('GET', '/auth/status')).json.mfaEnabled).toBe(true);
    expect((await api('POST', '/auth/login', { password: PASSWORD })).json.error.details).toEqual({ mfaRequired: true });
    const viaRecovery = await api('POST', '/auth/login', { password: PASSWORD, totpCode: codes[0] });
    expect(viaRecovery.json).toMatchObject({ loggedIn: true, recoveryCodesLeft: 9 });
    expect((await api('POST', '/auth/login', { password: PASSWORD, totpCode: codes[0] })).json.error.code).toBe('AUTH_FAILED');

    const again = await cli(['auth', 'mfa', '--code', '123456']);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/already on/);
    const reset = await cli(['auth', 'reset-mfa']);
    expect(reset.stdout).toMatch(/MFA is off/);
    expect((await api('GET', '/auth/status')).json.mfaEnabled).toBe(false);

    // --code finishes a setup whose secret was shown earlier.
    const pending = (await api('POST', '/auth/mfa/setup', {})).json;
    secrets.push(pending.secret);
    const code = new TOTP({ secret: Secret.fromBase32(pending.secret) }).generate();
    const finished = await cli(['auth', 'mfa', '--code', code, '--json']);
    expect(finished.code, finished.stderr).toBe(0);
    expect(JSON.parse(finished.stdout).recoveryCodes).toHaveLength(10);
    expect((await cli(['auth', 'reset-mfa', '--json'])).stdout).toMatch(/"wasEnabled": true/);
  });

  it('auth reset-password takes the password from stdin and ends every login session', async () => {
    const short = await cli(['auth', 'reset-password', '--password-stdin'], 'too short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/12 characters/);
    const reset = await cli(['auth', 'reset-password', '--password-stdin'], `${NEW_PASSWORD}\n`);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/password reset; [1-9]\d* login sessions? ended/);
    expect((await api('GET', '/auth/sessions')).json.sessions).toEqual([]);
    expect((await api('POST', '/auth/login', { password: PASSWORD })).json.error.code).toBe('AUTH_FAILED');
    expect((await api('POST', '/auth/login', { password: NEW_PASSWORD })).json.loggedIn).toBe(true);
  });

  it('at a terminal, auth reset-password asks twice without echo and refuses two different answers', async () => {
    const typed = 'typed at a hidden prompt';
    const differ = spawnOnPty(process.execPath, [BIN, 'auth', 'reset-password'], { env: harness.env, cwd: harness.dir, cols: 100, rows: 10 });
    try {
      await differ.waitFor(/new password \(at least 12 characters\):/, 'the first prompt');
      differ.press(`${typed}\r`);
      await differ.waitFor(/again:/, 'the second prompt');
      differ.press(`${typed}!\r`);
      expect((await differ.exited).exitCode).toBe(2);
      expect(differ.raw()).toContain('the two passwords differ');
    } finally {
      differ.kill();
    }
    const same = spawnOnPty(process.execPath, [BIN, 'auth', 'reset-password'], { env: harness.env, cwd: harness.dir, cols: 100, rows: 10 });
    try {
      await same.waitFor(/new password/, 'the first prompt');
      same.press(`${typed}\r`);
      await same.waitFor(/again:/, 'the second prompt');
      same.press(`${typed}\r`);
      expect((await same.exited).exitCode).toBe(0);
      expect(same.raw()).toContain('password reset');
      expect(same.raw()).not.toContain(typed);
    } finally {
      same.kill();
    }
    expect((await api('POST', '/auth/login', { password: typed })).json.loggedIn).toBe(true);
    secrets.push(typed);
    const revoked = await cli(['auth', 'revoke-sessions']);
    expect(revoked.stdout).toMatch(/^1 login session ended/);
    expect((await api('GET', '/auth/sessions')).json.sessions).toEqual([]);
  });

  it('auth log lists what happened, newest first, with no secret in it', async () => {
    const log = await cli(['auth', 'log', '--json']);
    expect(log.code, log.stderr).toBe(0);
    const entries = JSON.parse(log.stdout) as Array<{ event: string; outcome: string; principal: string | null }>;
    const seen = entries.map((entry) => `${entry.event}:${entry.outcome}`);
    for (const expected of ['bootstrap:ok', 'setup:failed', 'setup:ok', 'bootstrap:refused', 'token-create:ok', 'token-revoke:ok', 'mfa-enable:ok', 'login:ok', 'login:failed', 'mfa-reset:ok', 'password-reset:ok']) {
      expect(seen, expected).toContain(expected);
    }
    expect(entries[0]).toMatchObject({ event: 'sessions-revoke', outcome: 'ok', principal: 'socket' });
    expect(entries.find((entry) => entry.event === 'token-create')?.principal).toBe('socket');
    for (const secret of secrets) expect(log.stdout).not.toContain(secret);

    const table = await cli(['auth', 'log', '--event', 'setup']);
    expect(table.stdout).toMatch(/^TIME\s+EVENT\s+OUTCOME/);
    expect(table.stdout.trim().split('\n').slice(1).every((line) => /\bsetup\b/.test(line))).toBe(true);
    const wrongEvent = await cli(['auth', 'log', '--event', 'logn']);
    expect(wrongEvent.code).toBe(2);
    expect(wrongEvent.stderr).toMatch(/did you mean login/);
  });
});
