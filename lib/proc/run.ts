/**
 * The one place where external programs are started. Always an argument array, never a shell,
 * always a timeout: a hung condor_q or mysql must not hold a SQL call or a monitor forever.
 * execa is imported lazily because it costs start-up time on paths that never run a program.
 */
import { ExternalCommandError, type FailureKind } from '../errors/index.js';

export interface RunOptions {
  /** Milliseconds before the child is killed (SIGTERM, then SIGKILL 2 s later). Required on purpose. */
  timeoutMs: number;
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  /** Replace the environment instead of extending process.env. */
  extendEnv?: boolean;
  cwd?: string;
  /** Exit codes that count as success (default [0]). */
  okExitCodes?: readonly number[];
  /** Decide the failure kind from stderr/exit code; default 'external' (timeouts are always 'busy'). */
  classify?: (r: RunResult) => FailureKind | undefined;
}

export interface RunResult {
  command: string;
  args: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export async function run(command: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const { execa } = await import('execa');
  const started = performance.now();
  const child = await execa(command, [...args], {
    timeout: opts.timeoutMs,
    forceKillAfterDelay: 2000,
    reject: false,
    shell: false,
    stripFinalNewline: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    env: opts.env,
    extendEnv: opts.extendEnv ?? true,
    cwd: opts.cwd,
    encoding: 'utf8',
  });
  const result: RunResult = {
    command,
    args,
    exitCode: typeof child.exitCode === 'number' ? child.exitCode : -1,
    stdout: String(child.stdout ?? ''),
    stderr: String(child.stderr ?? ''),
    timedOut: child.timedOut === true,
    durationMs: performance.now() - started,
  };
  const display = [command, ...args].join(' ');
  if (result.timedOut) {
    throw new ExternalCommandError('busy', `${command} timed out after ${opts.timeoutMs} ms`, {
      command: display,
      stderr: result.stderr,
      timedOut: true,
    });
  }
  if (child.failed && child.exitCode === undefined) {
    // spawn failure (ENOENT, EACCES): the tool is missing or not executable
    const code = (child.cause as NodeJS.ErrnoException | undefined)?.code;
    throw new ExternalCommandError(code === 'EACCES' ? 'denied' : 'not-found', `cannot run ${command}: ${code ?? child.shortMessage}`, {
      command: display,
      stderr: result.stderr,
    }, { cause: child.cause });
  }
  const ok = opts.okExitCodes ?? [0];
  if (!ok.includes(result.exitCode)) {
    const kind = opts.classify?.(result) ?? 'external';
    const firstLine = result.stderr.split('\n').find((l) => l.trim() !== '') ?? `exit code ${result.exitCode}`;
    throw new ExternalCommandError(kind, `${command} failed: ${firstLine.trim()}`, {
      command: display,
      exitCode: result.exitCode,
      stderr: result.stderr,
    });
  }
  return result;
}
