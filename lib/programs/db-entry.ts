/**
 * What the three database-called programs share before they trust anything of argv
 * (docs/security.md): the logger of the installed configuration, so that a refused command line is
 * logged even though argv cannot name a config or a log directory.
 */
import { createLogger, nullLogger, type Logger } from '../log/index.js';

/** The logger of the installed config; the null logger when there is none (its error comes later). */
export async function installedLogger(program: string): Promise<Logger> {
  try {
    const { loadConfig } = await import('../config/index.js');
    return createLogger({ program, logDir: loadConfig({ only: 'installed' }).logDir });
  } catch {
    return nullLogger;
  }
}
