/**
 * A minimal zip writer (PKWARE APPNOTE 6.3: local headers, central directory, end record; deflate via
 * Node's zlib, CRC-32 via zlib.crc32), enough to re-zip a package archive for Code Dx. No ZIP64: more
 * than 65535 entries or 4 GiB is refused (the caller then uploads the original archive, as the legacy
 * did when `zip` failed). Names are UTF-8 (flag bit 11), directories end in `/`, Unix modes are kept in
 * the external attributes. Writes go straight to a file descriptor, one entry at a time.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const UTF8_FLAG = 0x0800;
const VERSION = 20;
const MADE_BY_UNIX = (3 << 8) | VERSION;
const MAX32 = 0xffffffff;
const MAX_ENTRIES = 0xffff;

export class ZipLimitError extends Error {}

/** MS-DOS date and time of a Date (local time, 2-second resolution, clamped to 1980..2107). */
export function dosDateTime(d: Date): { date: number; time: number } {
  let y = d.getFullYear();
  if (y < 1980) return { date: (0 << 9) | (1 << 5) | 1, time: 0 };
  if (y > 2107) y = 2107;
  return {
    date: ((y - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}

interface CentralEntry {
  name: Buffer;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  date: number;
  time: number;
  external: number;
  offset: number;
}

/** Entry names: relative, `/`-separated, no `..`, no empty segment, no NUL. */
export function checkEntryName(name: string): string {
  const n = name.replace(/^\.\/+/, '');
  if (n === '' || n.startsWith('/') || n.includes('\0') || n.includes('\\')) throw new ZipLimitError(`unsafe zip entry name ${JSON.stringify(name)}`);
  const parts = n.replace(/\/$/, '').split('/');
  if (parts.some((p) => p === '' || p === '..' || p === '.')) throw new ZipLimitError(`unsafe zip entry name ${JSON.stringify(name)}`);
  return n;
}

export class ZipWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly entries: CentralEntry[] = [];
  private closed = false;

  constructor(path: string) {
    this.fd = openSync(path, 'wx', 0o644);
  }

  private write(buf: Buffer): void {
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done);
    this.offset += buf.length;
    if (this.offset > MAX32) throw new ZipLimitError('zip larger than 4 GiB (no ZIP64 support)');
  }

  private add(name: string, data: Buffer, mode: number, mtime: Date, dir: boolean): void {
    if (this.entries.length >= MAX_ENTRIES) throw new ZipLimitError('more than 65535 zip entries (no ZIP64 support)');
    const nameBuf = Buffer.from(dir ? `${checkEntryName(name).replace(/\/?$/, '/')}` : checkEntryName(name), 'utf8');
    if (data.length > MAX32) throw new ZipLimitError('zip entry larger than 4 GiB');
    // Deflate unless it does not pay (empty or incompressible): store then, like zip(1).
    let method = 0;
    let body = data;
    if (data.length > 0) {
      const deflated = deflateRawSync(data);
      if (deflated.length < data.length) {
        method = 8;
        body = deflated;
      }
    }
    const crc = data.length > 0 ? crc32(data) >>> 0 : 0;
    const { date, time } = dosDateTime(mtime);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(LOCAL_SIG, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(UTF8_FLAG, 6);
    header.writeUInt16LE(method, 8);
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(body.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBuf.length, 26);
    header.writeUInt16LE(0, 28);
    const offset = this.offset;
    this.write(header);
    this.write(nameBuf);
    if (body.length > 0) this.write(body);
    const unixMode = (dir ? 0o040000 : 0o100000) | (mode & 0o777);
    this.entries.push({ name: nameBuf, method, crc, csize: body.length, usize: data.length, date, time, external: ((unixMode << 16) | (dir ? 0x10 : 0)) >>> 0, offset });
  }

  addFile(name: string, data: Buffer, opts: { mode?: number; mtime?: Date } = {}): void {
    this.add(name, data, opts.mode ?? 0o644, opts.mtime ?? new Date(), false);
  }

  addDirectory(name: string, opts: { mode?: number; mtime?: Date } = {}): void {
    this.add(name, Buffer.alloc(0), opts.mode ?? 0o755, opts.mtime ?? new Date(), true);
  }

  get count(): number {
    return this.entries.length;
  }

  /** Writes the central directory and the end record, and closes the file. */
  finish(): void {
    const start = this.offset;
    for (const e of this.entries) {
      const h = Buffer.alloc(46);
      h.writeUInt32LE(CENTRAL_SIG, 0);
      h.writeUInt16LE(MADE_BY_UNIX, 4);
      h.writeUInt16LE(VERSION, 6);
      h.writeUInt16LE(UTF8_FLAG, 8);
      h.writeUInt16LE(e.method, 10);
      h.writeUInt16LE(e.time, 12);
      h.writeUInt16LE(e.date, 14);
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(e.csize, 20);
      h.writeUInt32LE(e.usize, 24);
      h.writeUInt16LE(e.name.length, 28);
      // extra 30, comment 32, disk 34, internal attributes 36: all zero
      h.writeUInt32LE(e.external, 38);
      h.writeUInt32LE(e.offset, 42);
      this.write(h);
      this.write(e.name);
    }
    const size = this.offset - start;
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END_SIG, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(size, 12);
    end.writeUInt32LE(start, 16);
    this.write(end);
    this.close();
  }

  /** Closes without finishing (the caller removes the partial file). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
