/**
 * The event-file protocol (mirswamp/deployment swamp/config/libvirt_swamp_script.awk) [COMPAT], pure.
 *
 * The machine writes one word per line into out/job_events.log (a serial port that appends, or a
 * docker file written with `>>` or `>`). The reader normalises each line by removing every
 * non-alphanumeric character, and a word counts **once** for the whole life of the monitor: a word that
 * appears again, in a later line or after the file was truncated or rewritten, is ignored. Unknown words
 * are consumed silently (the tables in words.ts decide what is known).
 *
 * Perl's `[^[:alnum:]]` on the byte strings the legacy reads matches everything but ASCII letters and
 * digits, so the normalisation is ASCII-only; callers decode the file as latin1 so that a multi-byte
 * character never splits into something alphanumeric.
 */

/** Remove every non-alphanumeric character (ASCII), as `s/[^[:alnum:]]//g`. */
export function normalizeEventLine(line: string): string {
  return line.replace(/[^A-Za-z0-9]/g, '');
}

/**
 * The set of words already seen. Separate from the follower so that the "counts once" rule is one
 * small pure object the state machine tests and the I/O follower share.
 */
export class SeenWords {
  private readonly seen = new Set<string>();

  /**
   * Normalise `rawLine`; return the word if it is new (and remember it), undefined if it is empty or
   * was seen before. Empty lines are dropped: the legacy marks "" as seen and returns it, which only
   * wastes one poll, so dropping it changes nothing observable.
   */
  accept(rawLine: string): string | undefined {
    const word = normalizeEventLine(rawLine);
    if (word === '' || this.seen.has(word)) return undefined;
    this.seen.add(word);
    return word;
  }

  has(word: string): boolean {
    return this.seen.has(word);
  }

  get size(): number {
    return this.seen.size;
  }

  /** All words in first-seen order. */
  list(): string[] {
    return [...this.seen];
  }
}

/** New words of `lines`, in file order, each at most once (see SeenWords.accept). */
export function newWords(lines: readonly string[], seen: SeenWords): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const w = seen.accept(line);
    if (w !== undefined) out.push(w);
  }
  return out;
}

/**
 * Parse the first line of out/job_ip_address.txt (getVMIPAddress): non-printables removed, then a
 * dotted quad. The local platform's machine listens on a port of its own, so `<ip>:<port>` is accepted
 * too (a real machine never writes one). Returns undefined when the content is not an address yet.
 */
export function parseIpAddressFile(content: string): { ip: string; port?: number } | undefined {
  const first = (content.split('\n')[0] ?? '').replace(/[^\x20-\x7e]/g, '').trim();
  const m = /^((?:[0-9]{1,3}\.){3}[0-9]{1,3})(?::([0-9]{1,5}))?$/.exec(first);
  if (!m || m[1] === undefined) return undefined;
  if (m[2] === undefined) return { ip: m[1] };
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? { ip: m[1], port } : undefined;
}
