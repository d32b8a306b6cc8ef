import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isProcessAlive } from '../core/discovery';

/**
 * One daemon per home. On Linux the lock is an abstract Unix socket named after the home: the kernel refuses a second
 * bind and releases it when the holder dies, even by kill -9, so there is no stale lock to clean and no race between
 * two starters. Elsewhere a pid file created with O_EXCL stands in, with a dead holder's file taken over.
 */
export interface HomeLock {
  release(): void;
}

export type LockResult = { acquired: true; lock: HomeLock } | { acquired: false };

export async function acquireHomeLock(home: string): Promise<LockResult> {
  const realHome = fs.realpathSync(home);
  return process.platform === 'linux' ? acquireAbstractSocketLock(realHome) : acquirePidFileLock(realHome);
}

function acquireAbstractSocketLock(home: string): Promise<LockResult> {
  const name = '\0codepiper-daemon-' + crypto.createHash('sha256').update(home).digest('hex').slice(0, 32);
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve({ acquired: false });
      else reject(error);
    });
    server.listen({ path: name }, () => {
      server.unref();
      resolve({ acquired: true, lock: { release: () => server.close() } });
    });
  });
}

async function acquirePidFileLock(home: string): Promise<LockResult> {
  const file = path.join(home, 'daemon.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return {
        acquired: true,
        lock: {
          release: () => {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
          },
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder)) return { acquired: false };
      fs.rmSync(file, { force: true });
    }
  }
  return { acquired: false };
}
