/**
 * BOG files on disk: legacy properties format (./format.ts) with atomic replacement (./atomic.ts).
 * I/O errors become SwampErrors so the CLI layer can classify them (denied / not-found / external).
 */
import { readFileSync } from 'node:fs';
import { SwampError, type FailureKind } from '../errors/index.js';
import { writeFileAtomicSync, type AtomicWriteOptions } from './atomic.js';
import { BogFormatError, formatBog, parseBog, type Bog, type BogInput } from './format.js';

export { formatBog, formatBogLine, parseBog, isValidBogKey, BogFormatError, type Bog, type BogInput, type BogValue } from './format.js';
export { syncDirs, writeFileAtomicSync, type AtomicWriteOptions } from './atomic.js';

/** `<execrunid>.bog`, the queued-BOG file name the legacy used (createBOGfileName). */
export function bogFileName(execrunid: string): string {
  return `${execrunid}.bog`;
}

function ioKind(e: unknown): FailureKind {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'not-found';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'denied';
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN') return 'busy';
  return 'external';
}

/** Writes a BOG atomically (temp file + fsync + rename + directory fsync). */
export function writeBogFile(path: string, bog: BogInput, opts: AtomicWriteOptions & { comment?: string } = {}): void {
  const text = formatBog(bog, opts.comment);
  try {
    // BOGs may carry an apikey or a password: the writer's only unless the caller says otherwise
    writeFileAtomicSync(path, text, { ...opts, mode: opts.mode ?? 0o600 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SwampError(ioKind(e), `cannot write BOG ${path}: ${code ?? String(e)}`, { file: path, code }, { cause: e });
  }
}

/** Reads a BOG. A malformed file is an 'external' failure naming the file and line. */
export function readBogFile(path: string): Bog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SwampError(ioKind(e), `cannot read BOG ${path}: ${code ?? String(e)}`, { file: path, code }, { cause: e });
  }
  try {
    return parseBog(text);
  } catch (e) {
    if (e instanceof BogFormatError) {
      throw new SwampError('external', `malformed BOG ${path}: ${e.message}`, { file: path, line: e.line }, { cause: e });
    }
    throw e;
  }
}
