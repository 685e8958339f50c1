/**
 * argv in the Getopt::Long forms the database procedures and administrators use (legacy scripts call
 * GetOptions with its default configuration), on top of commander:
 *
 *   --opt value   --opt=value   -opt value   -opt=value        long options with one or two dashes
 *   --file_path a --file_path b                                repeated option collected as an array
 *   --detached  --nodetached  --no-detached                    negatable flags
 *   --Viewer_Name x, --outd x                                  case-insensitive, unique prefixes
 *   --                                                         end of options
 *
 * A mandatory value is the next argument whatever it looks like (`--hard ''`, `--hard --x` give '' and
 * '--x'), as in Getopt::Long. Unknown, ambiguous or malformed options are a UsageError (the legacy
 * printed a warning and carried on). This layer resolves the Getopt::Long forms against the declared
 * options and hands commander canonical `--name=value` tokens; commander builds the values and the
 * help text. commander is imported lazily: it costs ~10 ms of start-up in the bundle (~30 ms unbundled)
 * and is loaded only when argv is actually parsed.
 */
import { UsageError } from '../errors/index.js';

export type OptionType = 'string' | 'int' | 'flag' | 'negatable';

export interface OptionSpec {
  /** Long name as in the Getopt::Long spec (`execution_record_uuid`); underscores are kept. */
  readonly name: string;
  readonly type: OptionType;
  /** Other names of the same option (`name|alias` in Getopt::Long). */
  readonly aliases?: readonly string[];
  /** Key in the result; several options may share one (launch_viewer's --package / --package_name). */
  readonly dest?: string;
  /** Collect every occurrence into an array (`'file_path=s' => \@file_path`). */
  readonly repeat?: boolean;
  /** The value may be omitted (`list:i`); this value is used then. */
  readonly optionalValue?: string | number;
  readonly default?: string | number | boolean | readonly string[] | readonly number[];
  readonly description?: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly required?: boolean;
  readonly description?: string;
}

export interface ProgramSpec {
  readonly name: string;
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  readonly positionals?: readonly PositionalSpec[];
}

type DestOf<O> = O extends { readonly dest: infer D extends string } ? D : O extends { readonly name: infer N extends string } ? N : never;
type ValueOf<O> = O extends { readonly type: 'flag' | 'negatable' }
  ? boolean
  : O extends { readonly type: 'int' }
    ? O extends { readonly repeat: true }
      ? number[]
      : number
    : O extends { readonly repeat: true }
      ? string[]
      : string;

/** Typed option values of a spec declared `as const satisfies ProgramSpec`. Absent options are undefined. */
export type OptionValues<S extends ProgramSpec> = {
  [O in S['options'][number] as DestOf<O>]?: ValueOf<O>;
};

/**
 * How argv is trusted. `admin`: a person at a shell (every form, `--help`, repeats as the spec says).
 * `database`: the program was started under a name the database calls (execute_execution_record,
 * launch_viewer, kill_run) and argv is data built from table values: every option at most once (unless
 * the spec repeats it), no `--help`/`-help` (a UsageError whose message carries the usage line: stderr,
 * exit 2, never stdout). The caller's spec holds only the legacy options (no --config, --debug, ...).
 */
export type ArgvTrust = 'admin' | 'database';

export interface ParseOptions {
  readonly trust?: ArgvTrust;
}

export interface ParsedArgs<S extends ProgramSpec> {
  options: OptionValues<S>;
  /** Positional arguments in order (declared ones first; extra ones are a UsageError). */
  positionals: string[];
  /** Set when --help was given: the caller prints it and exits 0 without doing anything else. */
  help?: string;
}

/** Options every program accepts, as the legacy scripts did. */
export const COMMON_OPTIONS = [
  { name: 'config', type: 'string', description: 'swamp.conf to use (default $SWAMP_CONFIG, then /opt/swamp/etc/swamp.conf)' },
  { name: 'debug', type: 'flag', description: 'log at trace level' },
] as const satisfies readonly OptionSpec[];

interface NameEntry {
  readonly opt: OptionSpec;
  readonly negated: boolean;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const INT_RE = /^[-+]?\d+$/;

function destOf(o: OptionSpec): string {
  return o.dest ?? o.name;
}

function buildNameTable(spec: ProgramSpec): Map<string, NameEntry> {
  const table = new Map<string, NameEntry>();
  const add = (n: string, entry: NameEntry): void => {
    const key = n.toLowerCase();
    const prev = table.get(key);
    if (prev && (prev.opt !== entry.opt || prev.negated !== entry.negated)) throw new TypeError(`option name ${n} declared twice`);
    table.set(key, entry);
  };
  const destTypes = new Map<string, OptionType>();
  for (const opt of spec.options) {
    for (const n of [opt.name, ...(opt.aliases ?? [])]) {
      if (!NAME_RE.test(n)) throw new TypeError(`invalid option name ${JSON.stringify(n)}`);
      add(n, { opt, negated: false });
      if (opt.type === 'negatable') {
        add(`no${n}`, { opt, negated: true });
        add(`no-${n}`, { opt, negated: true });
      }
    }
    const t = destTypes.get(destOf(opt));
    if (t !== undefined && t !== opt.type) throw new TypeError(`options sharing dest ${destOf(opt)} have different types`);
    destTypes.set(destOf(opt), opt.type);
  }
  return table;
}

function resolveName(table: Map<string, NameEntry>, text: string, shown: string): NameEntry {
  const key = text.toLowerCase();
  const exact = table.get(key);
  if (exact) return exact;
  const hits = new Map<string, NameEntry>();
  for (const [n, entry] of table) {
    if (n.startsWith(key)) hits.set(`${entry.opt.name}${entry.negated ? '!' : ''}`, entry);
  }
  if (hits.size === 1) return [...hits.values()][0] as NameEntry;
  if (hits.size === 0) throw new UsageError(`unknown option: ${shown}`, { option: shown });
  throw new UsageError(`option ${shown} is ambiguous (${[...hits.keys()].map((h) => h.replace(/!$/, ' (negated)')).join(', ')})`, { option: shown });
}

interface Normalized {
  tokens: string[];
  positionals: string[];
  help: boolean;
}

/** Resolves Getopt::Long forms into canonical commander tokens (pure; exported for tests). */
export function normalizeArgv(spec: ProgramSpec, argv: readonly string[], opts: ParseOptions = {}): Normalized {
  const table = buildNameTable(spec);
  const fromDb = opts.trust === 'database';
  // under database trust: how often each destination was given (a repeat is an injected option)
  const seenDest = new Set<string>();
  const tokens: string[] = [];
  const positionals: string[] = [];
  let help = false;
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i++] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const nameText = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    const shown = `--${nameText}`;
    if (nameText === '' || !NAME_RE.test(nameText)) throw new UsageError(`unknown option: ${JSON.stringify(arg.slice(0, 80))}`, { option: arg.slice(0, 80) });
    // --help only spelled out: "-h" must stay a prefix of --hard for kill_run, as in the legacy.
    if (nameText.toLowerCase() === 'help' && !table.has('help')) {
      if (fromDb) throw new UsageError(`${arg.slice(0, 10)} is not accepted from the database; ${usageLine(spec)}`, { option: 'help' });
      help = true;
      continue;
    }
    const { opt, negated } = resolveName(table, nameText, shown);
    const dest = destOf(opt);
    if (fromDb && opt.repeat !== true) {
      if (seenDest.has(dest)) throw new UsageError(`option --${opt.name} given more than once (refused from the database)`, { option: opt.name });
      seenDest.add(dest);
    }
    if (opt.type === 'flag' || opt.type === 'negatable') {
      if (inline !== undefined) throw new UsageError(`option --${opt.name} does not take an argument`, { option: opt.name });
      tokens.push(negated ? `--no-${dest}` : `--${dest}`);
      continue;
    }
    let value: string;
    if (inline !== undefined) {
      value = inline;
    } else if (opt.optionalValue !== undefined) {
      const next = argv[i];
      const takes = next !== undefined && (opt.type === 'int' ? INT_RE.test(next) : next === '-' || !next.startsWith('-'));
      if (takes) {
        value = next;
        i++;
      } else {
        value = String(opt.optionalValue);
      }
    } else {
      if (i >= argv.length) throw new UsageError(`option --${opt.name} requires an argument`, { option: opt.name });
      value = argv[i++] as string;
    }
    if (opt.type === 'int' && !INT_RE.test(value)) {
      throw new UsageError(`value ${JSON.stringify(value.slice(0, 40))} invalid for option --${opt.name} (number expected)`, { option: opt.name });
    }
    tokens.push(`--${dest}=${value}`);
  }
  return { tokens, positionals, help };
}

/**
 * Parses argv (without node and script: `process.argv.slice(2)`) against a declarative spec.
 * Throws UsageError for anything Getopt::Long would have complained about, and for extra positionals.
 */
export async function parseArgv<S extends ProgramSpec>(spec: S, argv: readonly string[], opts: ParseOptions = {}): Promise<ParsedArgs<S>> {
  const norm = normalizeArgv(spec, argv, opts);
  const cmd = await buildCommand(spec);
  if (norm.help) return { options: {} as OptionValues<S>, positionals: [], help: cmd.helpInformation() };
  const declared = spec.positionals ?? [];
  if (norm.positionals.length > declared.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(norm.positionals[declared.length]?.slice(0, 80))}`, { count: norm.positionals.length });
  }
  const missing = declared.find((p, idx) => p.required === true && norm.positionals[idx] === undefined);
  if (missing) throw new UsageError(`missing argument <${missing.name}>`);
  try {
    // Positionals were separated above; after '--' commander treats everything as operands.
    cmd.parse([...norm.tokens, '--', ...norm.positionals], { from: 'user' });
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/^error:\s*/, '') : String(e);
    throw new UsageError(msg);
  }
  const raw = cmd.opts();
  const options: Record<string, unknown> = {};
  for (const o of cmd.options) {
    const attr = o.attributeName();
    const dest = attrToDest.get(cmd)?.get(attr) ?? attr;
    if (raw[attr] !== undefined) options[dest] = raw[attr];
  }
  return { options: options as OptionValues<S>, positionals: norm.positionals };
}

/** One line `usage: <name> --opt <value> ... [positional]` from a spec (for stderr, never stdout). */
export function usageLine(spec: ProgramSpec): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const o of spec.options) {
    const dest = destOf(o);
    if (seen.has(dest)) continue;
    seen.add(dest);
    const v = o.type === 'flag' || o.type === 'negatable' ? '' : o.optionalValue !== undefined ? ' [<value>]' : ' <value>';
    parts.push(`[--${o.name}${v}]${o.repeat ? '...' : ''}`);
  }
  for (const p of spec.positionals ?? []) parts.push(p.required ? `<${p.name}>` : `[${p.name}]`);
  return `usage: ${spec.name} ${parts.join(' ')}`.trimEnd();
}

// commander camel-cases attribute names on '-'; remember the way back to our dest names.
const attrToDest = new WeakMap<object, Map<string, string>>();

type CommanderCommand = import('commander').Command;

/** The commander Command for a spec (help text, validation). Exported for programs that want more. */
export async function buildCommand(spec: ProgramSpec): Promise<CommanderCommand> {
  const { Command, Option } = await import('commander');
  const cmd = new Command(spec.name);
  if (spec.description) cmd.description(spec.description);
  cmd.exitOverride();
  // Never let commander write: usage goes through UsageError, and stdout is a contract.
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  cmd.helpOption(false);
  cmd.allowExcessArguments(true);
  const map = new Map<string, string>();
  const seen = new Set<string>();
  for (const o of spec.options) {
    const dest = destOf(o);
    if (seen.has(dest)) continue;
    seen.add(dest);
    const names = spec.options.filter((x) => destOf(x) === dest).flatMap((x) => [x.name, ...(x.aliases ?? [])]);
    const desc = [o.description ?? '', names.length > 1 ? `(also ${names.filter((n) => n !== dest).map((n) => `--${n}`).join(', ')})` : '']
      .filter(Boolean)
      .join(' ');
    let opt;
    switch (o.type) {
      case 'flag':
        opt = new Option(`--${dest}`, desc);
        break;
      case 'negatable':
        opt = new Option(`--${dest}`, `${desc} (negate with --no${dest} or --no-${dest})`.trim());
        cmd.addOption(new Option(`--no-${dest}`).hideHelp());
        break;
      case 'int':
        opt = new Option(`--${dest} <n>`, desc);
        if (o.repeat) opt.argParser((v: string, prev: number[] | undefined) => [...(Array.isArray(prev) ? prev : []), Number(v)]);
        else opt.argParser((v: string) => Number(v));
        break;
      case 'string':
        opt = new Option(`--${dest} <value>`, desc);
        if (o.repeat) opt.argParser((v: string, prev: string[] | undefined) => [...(Array.isArray(prev) ? prev : []), v]);
        break;
    }
    if (o.default !== undefined) opt.default(o.default);
    cmd.addOption(opt);
    map.set(opt.attributeName(), dest);
  }
  for (const p of spec.positionals ?? []) cmd.argument(p.required ? `<${p.name}>` : `[${p.name}]`, p.description ?? '');
  attrToDest.set(cmd, map);
  return cmd;
}
