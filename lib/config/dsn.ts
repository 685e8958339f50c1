/**
 * Pure parsing of database locations as they appear in SWAMP configuration: Perl DBI DSNs
 * (`DBI:mysql:database=x;host=y;port=z`, `dbi:MariaDB:x`, `DBI:mysql:x@host:port`) and URL forms
 * (`jdbc:mariadb://host:port/db`, `mariadb://user:pass@host/db`, `mysql://...`), so one accessor serves
 * the legacy dbPerlDsnHost/Port keys, the Java-style dbQuartermasterURL and any future DSN key.
 */

export interface DbEndpoint {
  host?: string;
  port?: number;
  socketPath?: string;
  database?: string;
  user?: string;
  password?: string;
}

export class DsnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DsnError';
  }
}

function parsePort(text: string, dsn: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new DsnError(`invalid port ${JSON.stringify(text)} in ${JSON.stringify(dsn)}`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new DsnError(`port out of range in ${JSON.stringify(dsn)}`);
  return port;
}

function parseDbi(dsn: string, rest: string): DbEndpoint {
  const out: DbEndpoint = {};
  if (rest === '') return out;
  if (!rest.includes('=')) {
    // Old DBD::mysql shorthand: "db", "db@host", "db@host:port", "db:host", "db:host:port".
    const m = /^([^@:;]*)(?:[@:]([^:;]*))?(?::([^:;]*))?$/.exec(rest);
    if (!m) throw new DsnError(`cannot parse DSN ${JSON.stringify(dsn)}`);
    if (m[1]) out.database = m[1];
    if (m[2]) out.host = m[2];
    if (m[3]) out.port = parsePort(m[3], dsn);
    return out;
  }
  for (const part of rest.split(/[;,]/)) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new DsnError(`cannot parse DSN attribute ${JSON.stringify(part)} in ${JSON.stringify(dsn)}`);
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    switch (key) {
      case 'database':
      case 'db':
      case 'dbname':
        out.database = value;
        break;
      case 'host':
      case 'hostname':
        out.host = value;
        break;
      case 'port':
        out.port = parsePort(value, dsn);
        break;
      case 'mysql_socket':
      case 'mariadb_socket':
      case 'socket':
        out.socketPath = value;
        break;
      case 'user':
        out.user = value;
        break;
      case 'password':
        out.password = value;
        break;
      default:
        // Driver tuning attributes (mysql_ssl=1, mysql_connect_timeout=...) do not locate the server.
        break;
    }
  }
  return out;
}

function parseUrl(dsn: string, urlText: string): DbEndpoint {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new DsnError(`cannot parse database URL ${JSON.stringify(dsn)}`);
  }
  if (!url.hostname) throw new DsnError(`no host in database URL ${JSON.stringify(dsn)}`);
  const out: DbEndpoint = {};
  if (url.hostname) out.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.port) out.port = parsePort(url.port, dsn);
  const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (db) out.database = db;
  if (url.username) out.user = decodeURIComponent(url.username);
  if (url.password) out.password = decodeURIComponent(url.password);
  const socket = url.searchParams.get('socket') ?? url.searchParams.get('localSocket');
  if (socket) out.socketPath = socket;
  return out;
}

/** Parses a DBI DSN or a (jdbc:)mysql/mariadb URL. Throws DsnError on anything else. */
export function parseDsn(dsn: string): DbEndpoint {
  const text = dsn.trim();
  const dbi = /^dbi:(mysql|mariadb):(.*)$/i.exec(text);
  if (dbi) return parseDbi(dsn, dbi[2] ?? '');
  const url = /^(?:jdbc:)?((?:mysql|mariadb):\/\/.*)$/i.exec(text);
  if (url) return parseUrl(dsn, url[1] ?? '');
  throw new DsnError(`unsupported DSN ${JSON.stringify(dsn)} (expected DBI:mysql:..., DBI:MariaDB:..., jdbc:mariadb://... or mysql://...)`);
}
