import { AppError } from '../core/errors';

/** All of standard input, as text. */
export function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

/** A line typed at the terminal without echo (as a password prompt does); Ctrl-C cancels. */
export function hiddenPrompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(question);
    input.setRawMode(true);
    input.resume();
    let value = '';
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new AppError('USAGE', 'cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

/** One line from stdin, a terminal's (echoed) or a pipe's; the question goes to stderr so stdout stays the answer. */
export function promptLine(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(question);
    let text = '';
    const done = (error?: Error) => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.pause();
      if (error) reject(error);
      else resolve(text.replace(/\r?\n[\s\S]*$/, ''));
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) done();
    };
    const onEnd = () => (text ? done() : done(new AppError('USAGE', 'no answer: standard input ended')));
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
