/**
 * Budgets for the archives we unpack or read (user-supplied zip and tar files: result archives, the
 * Native HTML zip, the viewer database, the assessment's output archive). Without one, a 1 MiB zip
 * can write a gibibyte and a 2 MB tar.gz can hide a 700 MB member. Pure: the meter only counts and
 * throws; the callers stop reading and remove what they wrote.
 *
 *   maxBytes    total bytes written or held (uncompressed), across all entries
 *   maxEntries  entries of any type (directories and skipped links count too: they cost work)
 *   maxRatio    uncompressed bytes may not exceed maxRatio x the archive's size on disk, once past
 *               RATIO_FLOOR_BYTES (archives of source and logs compress 5-50x; a bomb of zeros
 *               about 1000x)
 *   maxMemberBytes  one member or file read into memory; longer ones are cut (reports) or refused
 *
 * swamp.conf keys `archive_max_bytes`, `archive_max_entries`, `archive_max_ratio`,
 * `archive_max_member_bytes` (lib/config); docs/files.md explains the defaults.
 */
import { SwampError } from '../errors/index.js';

export interface ArchiveBudget {
  maxBytes: number;
  maxEntries: number;
  maxRatio: number;
  /** One member or file held in memory (status.out, a report's error file, a nested archive's member). */
  maxMemberBytes: number;
}

/** The installed defaults (lib/config reads the keys; tests use these). */
export const DEFAULT_ARCHIVE_BUDGET: Readonly<ArchiveBudget> = Object.freeze({
  maxBytes: 4 * 1024 * 1024 * 1024,
  maxEntries: 200_000,
  maxRatio: 200,
  maxMemberBytes: 4 * 1024 * 1024,
});

/** Below this many bytes the ratio is not checked (a 10 kB archive of repeated lines is fine). */
export const RATIO_FLOOR_BYTES = 64 * 1024 * 1024;

/** An archive that goes past its budget: refused as a whole (kind `denied`, exit 77 if it ends a program). */
export class ArchiveBudgetError extends SwampError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('denied', message, details);
  }
}

/** The byte limit for an archive of `archiveSize` bytes on disk. */
export function effectiveByteLimit(budget: ArchiveBudget, archiveSize: number): number {
  const byRatio = Math.max(RATIO_FLOOR_BYTES, budget.maxRatio * Math.max(0, archiveSize));
  return Math.min(budget.maxBytes, byRatio);
}

export class BudgetMeter {
  readonly limit: number;
  /** Bytes kept (written to disk or held in memory). */
  bytes = 0;
  /** Bytes inflated, kept or not. */
  processed = 0;
  entries = 0;

  constructor(
    readonly budget: ArchiveBudget,
    archiveSize: number,
    readonly what: string,
  ) {
    this.limit = effectiveByteLimit(budget, archiveSize);
  }

  /** One more entry; throws past maxEntries. */
  entry(name: string): void {
    this.entries += 1;
    if (this.entries > this.budget.maxEntries) {
      throw new ArchiveBudgetError(`${this.what}: more than ${this.budget.maxEntries} entries (archive_max_entries)`, { at: name, entries: this.entries });
    }
  }

  /**
   * `n` more bytes inflated (kept or skipped); throws past maxBytes, so a bomb whose members are
   * skipped or cut still stops being inflated.
   */
  process(n: number): void {
    this.processed += n;
    if (this.processed > this.budget.maxBytes) {
      throw new ArchiveBudgetError(`${this.what}: more than ${this.budget.maxBytes} bytes uncompressed (archive_max_bytes)`, { processed: this.processed });
    }
  }

  /** `n` more bytes kept; throws past the byte limit. */
  add(n: number): void {
    this.bytes += n;
    if (this.bytes > this.limit) {
      const why = this.limit < this.budget.maxBytes ? `archive_max_ratio ${this.budget.maxRatio}` : 'archive_max_bytes';
      throw new ArchiveBudgetError(`${this.what}: more than ${this.limit} bytes uncompressed (${why})`, { bytes: this.bytes, limit: this.limit });
    }
  }

  /** Checks a size declared up front (zip central directory) without counting it. */
  declared(total: number, entries: number): void {
    if (entries > this.budget.maxEntries) throw new ArchiveBudgetError(`${this.what}: ${entries} entries, more than ${this.budget.maxEntries} (archive_max_entries)`, { entries });
    if (total > this.limit) {
      const why = this.limit < this.budget.maxBytes ? `archive_max_ratio ${this.budget.maxRatio}` : 'archive_max_bytes';
      throw new ArchiveBudgetError(`${this.what}: declares ${total} bytes uncompressed, more than ${this.limit} (${why})`, { total, limit: this.limit });
    }
  }
}
