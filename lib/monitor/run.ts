/**
 * runMonitor: the I/O shell around the pure state machine (state.ts). It follows the event file,
 * feeds words/ticks/signals/job-end into `step`, and carries out the actions strictly in order
 * (publish, DB update, IP read, VM command, stop), so the collector sees statuses in event order.
 *
 * Everything that touches the rest of the backend is injected (publisher, logger, recorder, VM
 * commands, job-ended predicate), so the program entry wires condor_advertise, the per-job log and the
 * DB, and tests use in-memory fakes with real files.
 *
 * Resident memory stays small: no buffers beyond the follower's 4 KiB head, one 1 s timer, one
 * directory watch; nothing heavy is imported.
 */
import { readFile } from 'node:fs/promises';
import { EventFileFollower } from './follower.js';
import { parseIpAddressFile, type SeenWords } from './protocol.js';
import { initialState, step, type MonitorAction, type MonitorConfig, type MonitorInput, type MonitorState } from './state.js';
import { nullLogger, type MonitorLogger, type RunRecorder, type StatusPublisher, type VmCommandRunner } from './types.js';

export interface RunMonitorOptions {
  config: MonitorConfig;
  /** `<scratch>/out/job_events.log`. */
  eventFile: string;
  /** `<scratch>/out/job_ip_address.txt`. */
  ipFile: string;
  publisher: StatusPublisher;
  logger?: MonitorLogger;
  recorder?: RunRecorder;
  /** VM platform: virsh reset/shutdown. Absent: the action is logged and reported as failed. */
  vmCommand?: VmCommandRunner;
  /** Polled every tick: true when the job (machine) is over, e.g. its pid is gone. */
  jobEnded?: () => boolean | Promise<boolean>;
  /** Tick period for timers and the job-ended check (ms); default 1000. */
  tickMs?: number;
  /** Event-file stat fallback period (ms); default 250. */
  pollMs?: number;
  /** IP file lookups after WROTEIPADDR (legacy vmip_lookup_attempts / _sleep: 10 x 1 s). */
  ipLookupAttempts?: number;
  ipLookupSleepMs?: number;
  /** Install SIGINT/SIGTERM handlers (default true); tests use `abort` instead. */
  handleSignals?: boolean;
  /** Ends the monitor like SIGTERM. */
  abort?: AbortSignal;
  now?: () => number;
  /** Shared seen-set (tests). */
  seen?: SeenWords;
}

export interface MonitorResult {
  reason: string;
  /** Every distinct word read from the event file, in first-seen order. */
  words: string[];
  published: number;
  publishFailures: number;
}

export async function runMonitor(opts: RunMonitorOptions): Promise<MonitorResult> {
  const log = opts.logger ?? nullLogger;
  const now = opts.now ?? Date.now;
  const config = opts.config;
  let state: MonitorState = initialState(config, now());
  let published = 0;
  let publishFailures = 0;

  // One queue of inputs, processed one at a time: actions of an input finish before the next input.
  const queue: MonitorInput[] = [];
  let wake: (() => void) | undefined;
  const push = (input: MonitorInput): void => {
    queue.push(input);
    wake?.();
  };

  const follower = new EventFileFollower({
    path: opts.eventFile,
    pollIntervalMs: opts.pollMs ?? 250,
    ...(opts.seen ? { seen: opts.seen } : {}),
    onWords: (words) => push({ type: 'words', words, now: now() }),
    onPresence: (present) => push({ type: 'file', present, now: now() }),
    onError: (e) => log.warn('event file read failed', { file: opts.eventFile, error: String(e) }),
  });

  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => () => {
    log.info('signal caught', { signal });
    push({ type: 'signal', signal, now: now() });
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  const handleSignals = opts.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  }
  const onAbort = (): void => push({ type: 'signal', signal: 'SIGTERM', now: now() });
  if (opts.abort?.aborted) onAbort();
  else opts.abort?.addEventListener('abort', onAbort, { once: true });

  let tickBusy = false;
  const ticker = setInterval(() => {
    if (tickBusy) return;
    tickBusy = true;
    void (async () => {
      try {
        if (opts.jobEnded && (await opts.jobEnded())) push({ type: 'job-ended', now: now() });
        else push({ type: 'tick', now: now() });
      } catch (e) {
        log.warn('job-ended check failed', { error: String(e) });
        push({ type: 'tick', now: now() });
      } finally {
        tickBusy = false;
      }
    })();
  }, opts.tickMs ?? 1000);

  const readIp = async (): Promise<MonitorInput> => {
    const attempts = opts.ipLookupAttempts ?? 10;
    const sleepMs = opts.ipLookupSleepMs ?? 1000;
    for (let i = 0; i < attempts; i++) {
      try {
        const parsed = parseIpAddressFile(await readFile(opts.ipFile, 'latin1'));
        if (parsed) return { type: 'ip', ip: parsed.ip, port: parsed.port, now: now() };
      } catch {
        // not written yet: try again
      }
      // Stop waiting when a signal or job end is queued: the monitor must end promptly.
      if (queue.some((q) => q.type === 'signal' || q.type === 'job-ended')) break;
      if (i + 1 < attempts) await new Promise((r) => setTimeout(r, sleepMs));
    }
    return { type: 'ip', ip: undefined, now: now() };
  };

  const perform = async (a: MonitorAction): Promise<MonitorInput | undefined> => {
    switch (a.type) {
      case 'publish':
        try {
          await opts.publisher.publish(a.ad);
          published++;
        } catch (e) {
          publishFailures++;
          log.error('publishing the status ad failed', { name: a.ad.Name, error: String(e) });
        }
        return undefined;
      case 'log':
        log[a.level](a.msg, a.fields);
        return undefined;
      case 'read-ip':
        return readIp();
      case 'update-run':
        if (!opts.recorder) return undefined;
        try {
          await opts.recorder.updateRun(a.fields);
        } catch (e) {
          log.error('run update failed', { fields: a.fields, error: String(e) });
        }
        return undefined;
      case 'vm-command': {
        if (!opts.vmCommand) {
          log.warn('no VM command runner on this platform', { command: a.command });
          return { type: 'vm-command-result', command: a.command, ok: false, now: now() };
        }
        let ok = false;
        try {
          ok = await opts.vmCommand(a.command);
        } catch (e) {
          log.error('vm command failed', { command: a.command, error: String(e) });
        }
        return { type: 'vm-command-result', command: a.command, ok, now: now() };
      }
      case 'stop':
        return undefined;
    }
  };

  follower.start();
  log.info('monitor started', { kind: config.kind, execrunuid: config.execrunuid, eventFile: opts.eventFile });
  try {
    while (!state.stopped) {
      const input = queue.shift();
      if (input === undefined) {
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
        continue;
      }
      // Inputs produced by actions (ip, vm result) go first, before queued ones: they belong to the
      // step that asked for them.
      const local: MonitorInput[] = [input];
      while (local.length > 0 && !state.stopped) {
        const next = local.shift() as MonitorInput; // length checked
        const r = step(config, state, next);
        state = r.state;
        for (const a of r.actions) {
          const fed = await perform(a);
          if (fed) local.push(fed);
        }
      }
    }
  } finally {
    clearInterval(ticker);
    await follower.stop();
    if (handleSignals) {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
    opts.abort?.removeEventListener('abort', onAbort);
  }
  const reason = state.stopReason ?? 'stopped';
  log.info('monitor exit', { reason, published, publishFailures });
  return { reason, words: follower.seen.list(), published, publishFailures };
}
