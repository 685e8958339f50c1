/**
 * The monitor as a pure state machine: `step(config, state, input) -> { state, actions }`.
 *
 * All timing (re-advertise, "no event yet" reports, VM reset/shutdown, event file gone) is computed
 * from the `now` carried by each input, so the whole behaviour of vmu_MonitorAssessment.pl and
 * vmu_MonitorViewer.pl (mirswamp/services perl/agents/vmu_MonitorAssessment.pl, mirswamp/services perl/agents/vmu_PreViewer.pl, vmu_MonitorViewer.pl, vmu_PostViewer.pl) is testable without clocks or files. The I/O
 * runner (run.ts) feeds inputs and carries out the actions in order.
 *
 * Words arrive already de-duplicated (protocol.ts, "counts once"). Unlike the legacy, which consumes
 * one word per 2-5 s poll, every word of a burst is handled at once, in file order.
 */
import { assessmentStatusAd, viewerStatusAd, type StatusAd, type ViewerAdOptions } from '../status/ads.js';
import { AssessmentStatus, ViewerState, ViewerStatus, machineFailedStatus, type ViewerStateValue } from '../status/catalogue.js';
import { ASSESSMENT_WORDS, VIEWER_DEFAULT_PORT, VIEWER_WORDS } from './words.js';

export type MonitorKind = 'assessment' | 'viewer';
export type Platform = 'vm' | 'docker' | 'local';

/** The collector ad lifetime is 900 s by default; the legacy re-advertises every 600 s. Never slower. */
export const MAX_READVERTISE_MS = 600_000;

export interface MonitorConfig {
  kind: MonitorKind;
  platform: Platform;
  /** Ad Name: assessment uuid, `M-<uuid>` or `vrun_<project>_<viewer>`. */
  execrunuid: string;
  /** `aswamp|mswamp|vswamp-<cluster>-<proc>`. */
  vmhostname: string;
  /** Assessment ads: BOG userid / projectid (`null` when absent, as the legacy). */
  userUuid: string;
  projectId: string;
  /** Assessment statuses: ` retry(<n>/<R>)` or ''. */
  retrySuffix: string;
  /** Viewer ads: the BOG options (vmip is filled from the IP file). */
  viewerOptions: ViewerAdOptions;
  /** Re-advertise the last status this often with no new event (clamped to <= 600 s). */
  readvertiseMs: number;
  /** With no event at all, report "Viewer Machine Failed - …" this often (legacy 600 s). */
  noEventReportMs: number;
  /** Stop when the event file has been missing this long: before any event / after one. */
  missingBeforeEventMs: number;
  missingAfterEventMs: number;
  /** VM platform, assessments: `virsh reset` after this long without any event, `shutdown` after the second. */
  vmResetAfterMs: number;
  vmShutdownAfterMs: number;
}

/** Legacy defaults: poll 5 s x 50/5 open attempts (assessment), 2 s x 5 (viewer, mirswamp/services perl/agents/vmu_PreViewer.pl, vmu_MonitorViewer.pl, vmu_PostViewer.pl). */
export function defaultMonitorConfig(
  base: Pick<MonitorConfig, 'kind' | 'execrunuid' | 'vmhostname'> & Partial<MonitorConfig>,
): MonitorConfig {
  const isViewer = base.kind === 'viewer';
  const cfg: MonitorConfig = {
    platform: 'docker',
    userUuid: 'null',
    projectId: 'null',
    retrySuffix: '',
    viewerOptions: {},
    readvertiseMs: MAX_READVERTISE_MS,
    noEventReportMs: 600_000,
    // A docker-universe viewer creates its event file only when the container runs (image pull
    // included), so the viewer gets the assessment's start-up allowance; see docs/monitor.md.
    missingBeforeEventMs: 250_000,
    missingAfterEventMs: isViewer ? 10_000 : 25_000,
    vmResetAfterMs: 900_000,
    vmShutdownAfterMs: 1_800_000,
    ...base,
  };
  cfg.readvertiseMs = Math.min(Math.max(cfg.readvertiseMs, 1), MAX_READVERTISE_MS);
  return cfg;
}

export interface MonitorState {
  startedAt: number;
  anyEventSeen: boolean;
  /** Viewer: RUNSHSTART seen (VIEWERDOWN then ends the loop). */
  runShStartSeen: boolean;
  /** The last ad published for an event; re-advertised every readvertiseMs. */
  lastAd: StatusAd | undefined;
  lastPublishAt: number;
  lastNoEventReportAt: number;
  /** When the event file went missing (undefined while present). */
  missingSince: number | undefined;
  /** Waiting for the IP read after WROTEIPADDR; later words wait in `pendingWords`. */
  awaitingIp: boolean;
  pendingWords: string[];
  viewerOptions: ViewerAdOptions;
  vmResetSent: boolean;
  vmShutdownSent: boolean;
  /** Assessment: `vm_password = ''` already requested. */
  passwordCleared: boolean;
  stopped: boolean;
  stopReason: string | undefined;
}

export type MonitorInput =
  | { type: 'words'; words: readonly string[]; now: number }
  | { type: 'tick'; now: number }
  | { type: 'file'; present: boolean; now: number }
  /** Result of a `read-ip` action: the parsed address, or undefined after the lookup gave up. */
  | { type: 'ip'; ip: string | undefined; port?: number | undefined; now: number }
  | { type: 'vm-command-result'; command: 'reset' | 'shutdown'; ok: boolean; now: number }
  | { type: 'job-ended'; now: number }
  | { type: 'signal'; signal: 'SIGINT' | 'SIGTERM'; now: number };

export type PublishReason = 'event' | 'readvertise' | 'no-event' | 'vm' | 'exit';

export type MonitorAction =
  | { type: 'publish'; ad: StatusAd; reason: PublishReason }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string; fields?: Readonly<Record<string, unknown>> }
  | { type: 'read-ip' }
  | { type: 'update-run'; fields: Readonly<Record<string, string>> }
  | { type: 'vm-command'; command: 'reset' | 'shutdown' }
  | { type: 'stop'; reason: string };

export interface StepResult {
  state: MonitorState;
  actions: MonitorAction[];
}

export function initialState(config: MonitorConfig, now: number): MonitorState {
  return {
    startedAt: now,
    anyEventSeen: false,
    runShStartSeen: false,
    lastAd: undefined,
    lastPublishAt: now,
    lastNoEventReportAt: now,
    missingSince: undefined,
    awaitingIp: false,
    pendingWords: [],
    viewerOptions: { vmhostname: config.vmhostname, ...config.viewerOptions },
    vmResetSent: false,
    vmShutdownSent: false,
    passwordCleared: false,
    stopped: false,
    stopReason: undefined,
  };
}

/** The VM ip lookup failed: the DB gets this string instead of an address (getVMIPAddress). */
export const VM_IP_TIMEOUT = 'vm ip timeout';

export function step(config: MonitorConfig, prev: MonitorState, input: MonitorInput): StepResult {
  // Copy-on-step: callers may keep the previous state (tests compare them); arrays are cloned too.
  const s: MonitorState = { ...prev, pendingWords: [...prev.pendingWords], viewerOptions: { ...prev.viewerOptions } };
  const actions: MonitorAction[] = [];
  if (s.stopped) return { state: s, actions };
  const ctx = new Ctx(config, s, actions);

  switch (input.type) {
    case 'words':
      s.pendingWords.push(...input.words);
      ctx.drainWords(input.now);
      break;
    case 'ip':
      ctx.onIp(input.ip, input.port, input.now);
      ctx.drainWords(input.now);
      break;
    case 'file':
      if (input.present) s.missingSince = undefined;
      else if (s.missingSince === undefined) s.missingSince = input.now;
      ctx.onTick(input.now);
      break;
    case 'tick':
      ctx.onTick(input.now);
      break;
    case 'vm-command-result':
      ctx.onVmResult(input.command, input.ok, input.now);
      break;
    case 'job-ended':
      ctx.stop('job ended', input.now);
      break;
    case 'signal':
      ctx.onSignal(input.signal, input.now);
      break;
  }
  return { state: s, actions };
}

/** One step's working context: keeps the per-kind rules in small methods. */
class Ctx {
  constructor(
    private readonly c: MonitorConfig,
    private readonly s: MonitorState,
    private readonly actions: MonitorAction[],
  ) {}

  private assessmentAd(status: string): StatusAd {
    return assessmentStatusAd({
      execrunuid: this.c.execrunuid,
      vmhostname: this.c.vmhostname,
      status,
      userUuid: this.c.userUuid,
      projectId: this.c.projectId,
    });
  }

  private viewerAd(state: ViewerStateValue, status: string): StatusAd {
    return viewerStatusAd(this.c.execrunuid, state, status, this.s.viewerOptions);
  }

  private publish(ad: StatusAd, reason: PublishReason, now: number): void {
    this.actions.push({ type: 'publish', ad, reason });
    if (reason === 'event') {
      this.s.lastAd = ad;
      this.s.lastPublishAt = now;
    }
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.actions.push(fields === undefined ? { type: 'log', level, msg } : { type: 'log', level, msg, fields });
  }

  drainWords(now: number): void {
    while (!this.s.stopped && !this.s.awaitingIp && this.s.pendingWords.length > 0) {
      const word = this.s.pendingWords.shift() as string; // length checked above
      if (this.c.kind === 'assessment') this.assessmentWord(word, now);
      else this.viewerWord(word, now);
    }
  }

  private assessmentWord(word: string, now: number): void {
    const rule = ASSESSMENT_WORDS[word];
    if (rule === undefined) {
      this.log('info', 'ignoring unknown event word', { word });
      return;
    }
    this.s.anyEventSeen = true;
    this.log('info', 'event', { word, status: rule.status });
    this.publish(this.assessmentAd(rule.status + this.c.retrySuffix), 'event', now);
    if (rule.then === 'read-ip') {
      this.publish(this.assessmentAd(AssessmentStatus.ObtainingIp + this.c.retrySuffix), 'event', now);
      this.s.awaitingIp = true;
      this.actions.push({ type: 'read-ip' });
    } else if (rule.then === 'end') {
      this.stop('ENDASSESSMENT', now);
    }
  }

  private viewerWord(word: string, now: number): void {
    const rule = VIEWER_WORDS[word];
    if (rule === undefined) {
      this.log('info', 'ignoring unknown event word', { word });
      return;
    }
    this.s.anyEventSeen = true;
    if (word === 'RUNSHSTART') this.s.runShStartSeen = true;
    if (word === 'VIEWERDOWN' && this.s.runShStartSeen) {
      // The machine has shut down: leave the loop; the exit ad replaces this word's own row.
      this.stop('VIEWERDOWN', now);
      return;
    }
    this.log('info', 'event', { word, state: rule.state, status: rule.status });
    if (word === 'WROTEIPADDR') {
      // Read the IP first so that this row, and VIEWERUP after it, carry vmip (the backend and the
      // web reach the viewer through the "Viewer is up" ad's vmip).
      this.publish(this.viewerAd(ViewerState.Launching, ViewerStatus.ObtainingIp), 'event', now);
      this.s.awaitingIp = true;
      this.s.pendingWords.unshift('\u0000' + word); // resumes here after the ip input
      this.actions.push({ type: 'read-ip' });
      return;
    }
    this.publish(this.viewerAd(rule.state, rule.status), 'event', now);
  }

  onIp(ip: string | undefined, port: number | undefined, now: number): void {
    if (!this.s.awaitingIp) return;
    this.s.awaitingIp = false;
    if (this.c.kind === 'assessment') {
      this.actions.push({ type: 'update-run', fields: { vm_ip_address: ip ?? VM_IP_TIMEOUT } });
      if (ip === undefined) this.log('error', 'Failed to obtain vmip', { vmip: VM_IP_TIMEOUT });
      return;
    }
    if (ip !== undefined) this.s.viewerOptions.vmip = `${ip}:${port ?? VIEWER_DEFAULT_PORT}`;
    else this.log('error', 'Failed to obtain vmip');
    // The deferred WROTEIPADDR row (marked with a NUL, which no normalised word can contain).
    const head = this.s.pendingWords[0];
    if (head !== undefined && head.startsWith('\u0000')) {
      this.s.pendingWords.shift();
      const rule = VIEWER_WORDS[head.slice(1)];
      if (rule !== undefined) this.publish(this.viewerAd(rule.state, rule.status), 'event', now);
    }
  }

  onTick(now: number): void {
    const s = this.s;
    if (s.missingSince !== undefined) {
      const limit = s.anyEventSeen ? this.c.missingAfterEventMs : this.c.missingBeforeEventMs;
      if (now - s.missingSince > limit) {
        this.log('info', 'event file missing, leaving the monitor', { missingMs: now - s.missingSince });
        this.stop('event file gone', now);
        return;
      }
    }
    if (s.lastAd !== undefined) {
      if (now - s.lastPublishAt >= this.c.readvertiseMs) {
        this.publish(s.lastAd, 'readvertise', now);
        s.lastPublishAt = now;
      }
      return;
    }
    if (s.anyEventSeen) return; // only unknown-to-the-ad words, e.g. a viewer's early VIEWERDOWN path
    if (now - s.lastNoEventReportAt >= this.c.noEventReportMs) {
      s.lastNoEventReportAt = now;
      const text = machineFailedStatus(s.startedAt, now);
      if (this.c.kind === 'assessment') this.publish(this.assessmentAd(text + this.c.retrySuffix), 'no-event', now);
      else this.publish(this.viewerAd(ViewerState.Error, text), 'no-event', now);
    }
    if (this.c.kind === 'assessment' && this.c.platform === 'vm' && !s.vmShutdownSent) {
      const waited = now - s.startedAt;
      if (!s.vmResetSent && waited > this.c.vmResetAfterMs) {
        s.vmResetSent = true;
        this.actions.push({ type: 'vm-command', command: 'reset' });
      } else if (s.vmResetSent && waited > this.c.vmShutdownAfterMs) {
        this.vmShutdown();
      }
    }
  }

  private vmShutdown(): void {
    if (this.s.vmShutdownSent) return;
    this.s.vmShutdownSent = true;
    this.actions.push({ type: 'vm-command', command: 'shutdown' });
  }

  onVmResult(command: 'reset' | 'shutdown', ok: boolean, now: number): void {
    if (this.c.kind !== 'assessment') return;
    const text = ok ? `vm ${command}` : `vm ${command} failed`;
    this.publish(this.assessmentAd(text), 'vm', now);
    if (command === 'reset' && !ok) this.vmShutdown();
  }

  onSignal(signal: 'SIGINT' | 'SIGTERM', now: number): void {
    if (this.c.kind === 'assessment' && this.c.platform === 'vm') {
      // TERM: legacy shuts the VM down and leaves. INT: legacy shuts it down only if it never spoke.
      if (signal === 'SIGTERM' || !this.s.anyEventSeen) this.vmShutdown();
    }
    this.stop(signal, now);
  }

  stop(reason: string, now: number): void {
    if (this.s.stopped) return;
    if (this.c.kind === 'assessment') {
      if (!this.s.passwordCleared) {
        this.s.passwordCleared = true;
        // Turns off the web's SSH button: the machine is gone or going.
        this.actions.push({ type: 'update-run', fields: { vm_password: '' } });
      }
    } else {
      this.publish(this.viewerAd(ViewerState.Shutdown, ViewerStatus.ShutdownComplete), 'exit', now);
    }
    this.s.stopped = true;
    this.s.stopReason = reason;
    this.s.awaitingIp = false;
    this.actions.push({ type: 'stop', reason });
  }
}
