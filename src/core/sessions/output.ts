import fs from 'node:fs';
import path from 'node:path';

/** Bytes of recent output kept in memory per session, for live followers that reconnect. */
const MEMORY_BYTES = 256 * 1024;
/** The on-disk log is rotated past this size; one previous file is kept. */
const FILE_BYTES = 2 * 1024 * 1024;

export interface OutputChunk {
  /** Offset of the chunk's first byte in the session's whole output stream. */
  seq: number;
  data: Buffer;
}

/**
 * A session's output: a bounded in-memory tail with sequence numbers (byte offsets of the whole stream, so a client
 * can resume where it left off) and an append-only file under sessions/<id>/ so that `tail` still has the latest
 * output after a daemon restart. The sequence continues across restarts: it is the bytes of the rotated files plus
 * the current one.
 */
export class SessionOutput {
  private chunks: OutputChunk[] = [];
  private memoryBytes = 0;
  private nextSeq: number;
  private rotatedBytes: number;
  private fileBytes: number;
  private readonly file: string;
  private readonly metaFile: string;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = path.join(dir, 'output.log');
    this.metaFile = path.join(dir, 'output.json');
    const meta = readMeta(this.metaFile);
    // A rotation is recorded after its rename; if the daemon died in between, the previous file's size tells.
    const previousBytes = fileSize(`${this.file}.1`);
    this.rotatedBytes = meta.rotatedBytes + (previousBytes !== meta.previousBytes ? previousBytes : 0);
    this.fileBytes = fileSize(this.file);
    this.nextSeq = this.rotatedBytes + this.fileBytes;
    const tail = this.readPersistedTail(MEMORY_BYTES);
    if (tail.length) this.remember({ seq: this.nextSeq - tail.length, data: tail });
  }

  get seq(): number {
    return this.nextSeq;
  }

  append(data: Buffer): OutputChunk {
    const chunk = { seq: this.nextSeq, data };
    this.nextSeq += data.length;
    this.remember(chunk);
    this.persist(data);
    return chunk;
  }

  /** Chunks from `seq` on that are still in memory (a follower that fell further behind gets what is left). */
  since(seq: number): OutputChunk[] {
    return this.chunks.filter((chunk) => chunk.seq + chunk.data.length > seq).map((chunk) =>
      chunk.seq >= seq ? chunk : { seq, data: chunk.data.subarray(seq - chunk.seq) },
    );
  }

  /** The last `bytes` of the stream as written to disk (the previous file included when needed). */
  readPersistedTail(bytes: number): Buffer {
    const current = readTail(this.file, bytes);
    if (current.length >= bytes) return current;
    const older = readTail(`${this.file}.1`, bytes - current.length);
    return Buffer.concat([older, current]);
  }

  private remember(chunk: OutputChunk): void {
    this.chunks.push(chunk);
    this.memoryBytes += chunk.data.length;
    while (this.memoryBytes > MEMORY_BYTES && this.chunks.length > 1) this.memoryBytes -= this.chunks.shift()!.data.length;
  }

  private persist(data: Buffer): void {
    try {
      if (this.fileBytes + data.length > FILE_BYTES && this.fileBytes > 0) {
        fs.renameSync(this.file, `${this.file}.1`);
        this.rotatedBytes += this.fileBytes;
        this.fileBytes = 0;
        writeMeta(this.metaFile, { rotatedBytes: this.rotatedBytes, previousBytes: fileSize(`${this.file}.1`) });
      }
      fs.appendFileSync(this.file, data, { mode: 0o600 });
      this.fileBytes += data.length;
    } catch {
      // A full disk must not stop the session: the live stream and the in-memory tail go on without the file.
    }
  }
}

interface OutputMeta {
  /** Bytes of the stream in files rotated away (the sequence number where output.log begins). */
  rotatedBytes: number;
  /** Size of output.log.1 when that was recorded, to notice a rotation the daemon died before recording. */
  previousBytes: number;
}

function readMeta(file: string): OutputMeta {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Record<keyof OutputMeta, unknown>>;
    const count = (n: unknown) => (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0);
    return { rotatedBytes: count(value.rotatedBytes), previousBytes: count(value.previousBytes) };
  } catch {
    return { rotatedBytes: 0, previousBytes: 0 };
  }
}

/** Written to a temporary file and renamed, so a crash leaves the old record or the new one, never half of one. */
function writeMeta(file: string, meta: OutputMeta): void {
  const temporary = `${file}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(meta), { mode: 0o600 });
  fs.renameSync(temporary, file);
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function readTail(file: string, bytes: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    return buffer;
  } finally {
    fs.closeSync(fd);
  }
}
