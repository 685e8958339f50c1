/**
 * Typed submit description -> submit file text. Pure: no I/O.
 *
 * Every value is escaped for the submit language: `$` becomes `$(DOLLAR)` (otherwise `$(...)` is macro
 * expanded by condor_submit), `+Attr` values are old-syntax ClassAd literals (classad.ts), arguments and
 * environment use the "new" quoted syntax. Line breaks are refused (the format is line-oriented), and a
 * plain value may not end in a backslash (that would continue the line).
 */
import { ValidationError } from '../errors/index.js';
import { checkAttrName, checkOneLine, formatValue, isExpr, type ClassAdValue } from './classad.js';

/** Text written verbatim into the submit file (e.g. `job.$(Cluster).log`); only checked for line breaks. */
export interface SubmitRaw {
  readonly raw: string;
}

export function raw(text: string): SubmitRaw {
  return { raw: text };
}

export type SubmitValue = string | number | boolean | SubmitRaw;
/** A path or name: literal text, or raw() to use submit macros such as $(Cluster). */
export type SubmitText = string | SubmitRaw;

export type Universe = 'vanilla' | 'vm' | 'docker' | 'container' | 'local' | 'scheduler';

export interface SubmitDescription {
  universe?: Universe;
  executable?: SubmitText;
  /** One element per argument; quoted for condor_submit's new arguments syntax. */
  arguments?: readonly string[];
  /** Iwd; relative paths in the description resolve against it (default: condor_submit's cwd). */
  initialdir?: SubmitText;
  input?: SubmitText;
  output?: SubmitText;
  error?: SubmitText;
  /** User log: condor_wait and waitForJobExit read it. */
  log?: SubmitText;
  environment?: Readonly<Record<string, string>>;
  /** Raw ClassAd expression. */
  requirements?: string;
  requestCpus?: number;
  requestMemoryMb?: number;
  requestDiskKb?: number;
  shouldTransferFiles?: 'YES' | 'NO' | 'IF_NEEDED';
  whenToTransferOutput?: 'ON_EXIT' | 'ON_EXIT_OR_EVICT';
  transferInputFiles?: readonly string[];
  transferOutputFiles?: readonly string[];
  batchName?: SubmitText;
  /** Submit the job on hold (two-phase submit: record the id, then release). */
  hold?: boolean;
  /** Any other submit command (vm_type, vm_memory, docker_image, ...), escaped like the typed ones. */
  commands?: Readonly<Record<string, SubmitValue>>;
  /** Custom job attributes, written as `+Name = value` (strings become ClassAd string literals). */
  attributes?: Readonly<Record<string, ClassAdValue>>;
  /** Number of jobs in the cluster (default 1). */
  queue?: number;
}

const COMMAND_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function checkCommandName(name: string): string {
  if (!COMMAND_NAME.test(name)) throw new ValidationError(`invalid submit command name: ${JSON.stringify(name)}`);
  if (name.startsWith('+') || /^queue$/i.test(name)) throw new ValidationError(`not allowed as a command: ${name}`);
  return name;
}

/**
 * Keeps `$` literal. condor_submit expands `$(name)` and `$NAME(...)` (`$ENV(..)`, `$INT(..)`, ...) unless
 * an odd number of `$` precede it (`$$(x)` is left for match time, and the stored value keeps it as is).
 * Measured on 23.9: a run of k dollars before `name(` is therefore safe when k is even; when k is odd
 * the last one becomes `$(DOLLAR)`, which expands to `$` without being expanded again. Replacing every
 * `$` would break: `$(DOLLAR)$(DOLLAR)(x)` comes out as `$$(DOLLAR)(x)`.
 */
export function escapeDollar(text: string): string {
  return text.replace(/\$+(?=[A-Za-z0-9_]*\()/g, (run) => (run.length % 2 === 1 ? `${run.slice(1)}$(DOLLAR)` : run));
}

/** A plain submit value: literal text, one line, not ending in a line-continuation backslash. */
export function submitValue(v: SubmitValue, what: string): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ValidationError(`${what} must be a finite number`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const text = typeof v === 'string' ? v : v.raw;
  checkOneLine(text, what);
  if (text.endsWith('\\')) throw new ValidationError(`${what} may not end in a backslash (line continuation)`);
  if (text !== text.trim()) throw new ValidationError(`${what} may not start or end with white space`);
  return typeof v === 'string' ? escapeDollar(text) : text;
}

/**
 * One word of the new arguments/environment syntax: in single quotes when it is empty or contains white
 * space or a single quote (doubled inside); a double quote is always doubled.
 */
function quoteWord(word: string): string {
  const w = word.replace(/"/g, '""');
  return w === '' || /[\s']/.test(w) ? `'${w.replace(/'/g, "''")}'` : w;
}

/** `arguments = "..."` in the new syntax, so any argument (spaces, quotes, `$`) survives. */
export function formatArguments(args: readonly string[]): string {
  args.forEach((a, i) => checkOneLine(a, `argument ${i + 1}`));
  return `"${escapeDollar(args.map(quoteWord).join(' '))}"`;
}

/** `environment = "A=1 B='x y'"` in the new syntax. */
export function formatEnvironment(env: Readonly<Record<string, string>>): string {
  const words = Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new ValidationError(`invalid environment variable name: ${JSON.stringify(k)}`);
    checkOneLine(v, `environment value of ${k}`);
    return quoteWord(`${k}=${v}`);
  });
  return `"${escapeDollar(words.join(' '))}"`;
}

function fileList(files: readonly string[], what: string): string {
  for (const f of files) {
    if (f.includes(',')) throw new ValidationError(`${what}: file names may not contain a comma: ${JSON.stringify(f)}`);
  }
  return submitValue(files.join(','), what);
}

/** The submit file text for a description. Throws ValidationError on anything it cannot write safely. */
export function formatSubmitDescription(d: SubmitDescription): string {
  const lines: string[] = [];
  const put = (name: string, value: string): void => {
    lines.push(`${name} = ${value}`);
  };
  const opt = (name: string, v: SubmitValue | undefined): void => {
    if (v !== undefined) put(name, submitValue(v, name));
  };
  opt('universe', d.universe);
  opt('executable', d.executable);
  if (d.arguments !== undefined) put('arguments', formatArguments(d.arguments));
  opt('initialdir', d.initialdir);
  opt('input', d.input);
  opt('output', d.output);
  opt('error', d.error);
  opt('log', d.log);
  if (d.environment !== undefined) put('environment', formatEnvironment(d.environment));
  if (d.requirements !== undefined) put('requirements', checkOneLine(d.requirements, 'requirements'));
  opt('request_cpus', d.requestCpus);
  opt('request_memory', d.requestMemoryMb);
  opt('request_disk', d.requestDiskKb);
  opt('should_transfer_files', d.shouldTransferFiles);
  opt('when_to_transfer_output', d.whenToTransferOutput);
  if (d.transferInputFiles !== undefined) put('transfer_input_files', fileList(d.transferInputFiles, 'transfer_input_files'));
  if (d.transferOutputFiles !== undefined) put('transfer_output_files', fileList(d.transferOutputFiles, 'transfer_output_files'));
  opt('batch_name', d.batchName);
  opt('hold', d.hold);
  for (const [name, value] of Object.entries(d.commands ?? {})) opt(checkCommandName(name), value);
  for (const [name, value] of Object.entries(d.attributes ?? {})) {
    checkAttrName(name);
    const v = formatValue(value, `value of +${name}`);
    // string literals are literal text: no macro expansion inside; raw expressions are the caller's
    lines.push(`+${name} = ${isExpr(value) ? v : escapeDollar(v)}`);
  }
  const n = d.queue ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new ValidationError(`queue must be a positive integer: ${n}`);
  lines.push(n === 1 ? 'queue' : `queue ${n}`);
  return `${lines.join('\n')}\n`;
}
