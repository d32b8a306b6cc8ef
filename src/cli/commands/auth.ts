import { Command } from 'commander';
import type { RouteOutput } from '../../core/api';
import { AppError, isAppError } from '../../core/errors';
import { formatKeyValues, formatStamp, formatTable, formatWhen } from '../../client/format';
import { commandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';
import { print, printJson } from '../output';
import { hiddenPrompt, promptLine, readStdin } from '../prompt';
import { routeChoiceOption, routeOption } from '../route-options';

type AuthLogEntry = RouteOutput<'auth.log'>['entries'][number];

/** `auth …`: web login, managed from the daemon's own machine over the socket (resets work only there). */
export function authCommand(): Command {
  const auth = new Command('auth')
    .description('web login for --web: setup state, the bootstrap password, MFA, resets and the audit log (over the local socket)')
    .summary('web login: bootstrap, MFA, resets, audit log')
    .helpGroup(HELP_GROUPS.remote)
    .addHelpText(
      'after',
      examples(
        ['before the first web login: the password setup asks for', 'codepiper auth bootstrap'],
        ['turn on MFA: scan the QR code, type a code', 'codepiper auth mfa'],
        'codepiper auth log',
      ),
    );

  auth
    .command('status')
    .description('whether web login is set up, whether MFA is on, and how many login sessions are live')
    .addHelpText('after', examples('codepiper auth status', 'codepiper auth status --json'))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const client = commandContext(command).client();
      const status = await client.call('auth.status');
      // Listing login sessions needs admin: a remote caller with a lesser token still sees the rest.
      const sessions = await client.call('auth.sessions').then(
        (answer) => answer.sessions,
        (error: unknown) => {
          if (isAppError(error) && error.family === 'permission') return undefined;
          throw error;
        },
      );
      if (options.json) return printJson({ ...status, sessions });
      print(
        formatKeyValues([
          ['set up', status.setupDone ? 'yes' : status.bootstrapPending ? 'no (a bootstrap password is waiting: codepiper auth bootstrap shows a new one)' : 'no (codepiper auth bootstrap)'],
          ['MFA', status.mfaEnabled ? 'on' : 'off (codepiper auth mfa)'],
          ['login sessions', sessions ? String(sessions.length) : '(an admin login or token sees them)'],
        ]),
      );
      if (!sessions || sessions.length === 0) return;
      print('');
      print(
        formatTable(sessions, [
          { header: 'HANDLE', value: (session) => session.handle },
          { header: 'FROM', value: (session) => session.ip ?? '-' },
          { header: 'LAST SEEN', value: (session) => formatWhen(session.lastSeenAt) },
          { header: 'EXPIRES', value: (session) => formatStamp(session.expiresAt) },
          { header: 'CLIENT', value: (session) => session.userAgent ?? '-' },
        ]),
      );
    });

  auth
    .command('bootstrap')
    .description('make a new bootstrap password for web setup (the old one stops working); it is stored hashed, so this is the only way to see one again')
    .addHelpText('after', examples('codepiper auth bootstrap', ['for a script', 'codepiper auth bootstrap --json']))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { bootstrapPassword } = await commandContext(command).client().call('auth.bootstrap');
      if (options.json) return printJson({ bootstrapPassword });
      print(`bootstrap password: ${bootstrapPassword}`);
      print('give it with your new password at web setup (POST /api/auth/setup); it works once, and dies then');
    });

  auth
    .command('mfa')
    .description('turn on MFA: shows a QR code and the secret for an authenticator app, asks for a code, then prints 10 single-use recovery codes')
    .addHelpText(
      'after',
      examples(
        'codepiper auth mfa',
        ['finish a setup whose prompt was left: the code for the secret it showed', 'codepiper auth mfa --code 492039'],
      ),
    )
    .option('--code <code>', 'verify this code against the secret an earlier `auth mfa` showed, without making a new one')
    .option('--json', 'print JSON (the secret, URI and recovery codes; with stdin not a terminal, the secret and URI first, as a JSON document of their own, so a script can answer)')
    .action(async (options: { code?: string; json?: boolean }, command: Command) => {
      const client = commandContext(command).client();
      let shown: RouteOutput<'auth.mfaSetup'> | undefined;
      let code = options.code;
      if (code === undefined) {
        shown = await client.call('auth.mfaSetup');
        if (!options.json) {
          const { qrText } = await import('../qr');
          print(await qrText(shown.uri));
          print(`secret: ${shown.secret}`);
          print(`uri:    ${shown.uri}`);
          print('');
        } else if (!process.stdin.isTTY) {
          // A script reads the secret first, then answers with a code on stdin.
          printJson(shown);
        }
        try {
          code = (await promptLine('code from the app: ')).trim();
        } catch (error) {
          throw new AppError('USAGE', `MFA is not on yet (${(error as Error).message}); finish with codepiper auth mfa --code <code>`);
        }
      }
      const { recoveryCodes } = await client.call('auth.mfaVerify', { code });
      if (options.json) return printJson({ ...(shown ?? {}), mfaEnabled: true, recoveryCodes });
      print('MFA is on. Recovery codes (each works once in place of a code; keep them somewhere safe, they are not shown again):');
      for (const recovery of recoveryCodes) print(`  ${recovery}`);
    });

  auth
    .command('reset-password')
    .description('set a new web password without the old one (typed twice at a hidden prompt, or from stdin); every login session ends')
    .addHelpText(
      'after',
      examples('codepiper auth reset-password', ['from a password manager', 'pass show codepiper | codepiper auth reset-password --password-stdin']),
    )
    .option('--password-stdin', 'read the new password from the first line of standard input')
    .option('--json', 'print JSON')
    .action(async (options: { passwordStdin?: boolean; json?: boolean }, command: Command) => {
      const newPassword = await readNewPassword(Boolean(options.passwordStdin));
      const result = await commandContext(command).client().call('auth.resetPassword', { newPassword });
      if (options.json) return printJson(result);
      print(`password reset; ${result.sessionsRevoked} login session${result.sessionsRevoked === 1 ? '' : 's'} ended`);
    });

  auth
    .command('reset-mfa')
    .description('turn MFA off and forget its secret and recovery codes (a lost phone); set it up again with codepiper auth mfa')
    .addHelpText('after', examples('codepiper auth reset-mfa', 'codepiper auth reset-mfa --json'))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const result = await commandContext(command).client().call('auth.resetMfa');
      if (options.json) return printJson(result);
      print(result.wasEnabled ? 'MFA is off; its secret and recovery codes are forgotten' : 'MFA was not on');
    });

  auth
    .command('revoke-sessions')
    .description('end every web login session (a lost laptop, a shared browser): each must log in again; API tokens are not touched')
    .addHelpText('after', examples('codepiper auth revoke-sessions', 'codepiper auth revoke-sessions --json'))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const result = await commandContext(command).client().call('auth.revokeSessions', {});
      if (options.json) return printJson(result);
      print(`${result.revoked} login session${result.revoked === 1 ? '' : 's'} ended`);
    });

  auth
    .command('log')
    .description('the auth audit log, newest first: logins, failures, lockouts, setup, resets, MFA and token changes')
    .addHelpText('after', examples('codepiper auth log', ['failed and locked logins only', 'codepiper auth log --event login --json'], 'codepiper auth log --limit 500'))
    .option('--limit <n>', 'how many entries (default 100)', routeOption('auth.log', 'limit'))
    .addOption(routeChoiceOption('--event <event>', 'only this event', 'auth.log', 'event'))
    .option('--json', 'print JSON')
    .action(async (options: { limit?: number; event?: string; json?: boolean }, command: Command) => {
      const { entries } = await commandContext(command)
        .client()
        .call('auth.log', { ...(options.limit !== undefined ? { limit: options.limit } : {}), ...(options.event !== undefined ? { event: options.event as AuthLogEntry['event'] } : {}) });
      if (options.json) return printJson(entries);
      if (entries.length === 0) return print('no auth events yet');
      print(
        formatTable(entries, [
          { header: 'TIME', value: (entry) => formatStamp(entry.at) },
          { header: 'EVENT', value: (entry) => entry.event },
          { header: 'OUTCOME', value: (entry) => entry.outcome },
          { header: 'FROM', value: (entry) => entry.ip ?? '-' },
          { header: 'WHO', value: (entry) => entry.principal ?? '-' },
          { header: 'DETAIL', value: (entry) => entry.detail ?? '' },
        ]),
      );
    });
  return auth;
}

/** Twice at a hidden prompt (they must match), or the first line of stdin when it is not a terminal. */
async function readNewPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    if (process.stdin.isTTY) throw new AppError('USAGE', '--password-stdin reads the password from a pipe or a file, not a terminal');
    const password = (await readStdin()).split(/\r?\n/)[0] ?? '';
    if (!password) throw new AppError('USAGE', 'no password on standard input');
    return password;
  }
  const first = await hiddenPrompt('new password (at least 12 characters): ');
  const second = await hiddenPrompt('again: ');
  if (first !== second) throw new AppError('USAGE', 'the two passwords differ; nothing was changed');
  return first;
}
