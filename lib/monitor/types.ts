/**
 * The small interfaces the monitor needs from the rest of the backend. They are defined here, not
 * imported, so the monitor does not depend on lib/htcondor, lib/log or lib/db while those are being
 * written; the program entry wires the real implementations (condor_advertise UPDATE_AD_GENERIC, the
 * per-job log file, update_execution_run_status).
 */

/** Attribute values of a generic ClassAd; our status ads only use strings (see lib/status/ads.ts). */
export type AdValue = string | number | boolean;

/** Sends one generic ad to the SWAMP collector (legacy: condor_advertise [pool] UPDATE_AD_GENERIC -). */
export interface StatusPublisher {
  publish(ad: Readonly<Record<string, AdValue>>): Promise<void>;
}

export type LogFields = Readonly<Record<string, unknown>>;

export interface MonitorLogger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/**
 * DB side effects of the assessment monitor (legacy updateExecutionResults): `vm_ip_address` after
 * WROTEIPADDR and `vm_password = ''` when the machine goes away (turns off the web's SSH button).
 */
export interface RunRecorder {
  updateRun(fields: Readonly<Record<string, string>>): Promise<void>;
}

/** VM platform only: `virsh reset|shutdown <domain>`; resolves true on success. */
export type VmCommandRunner = (command: 'reset' | 'shutdown') => Promise<boolean>;

export const nullLogger: MonitorLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
