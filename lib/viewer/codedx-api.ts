/**
 * The Code Dx API calls of the upload (legacy CodeDX.pm uploadanalysisrun, mirswamp/services perl/agents/vmu_launchviewer.pl doViewerVM), with Node's
 * http/https instead of `curl -ks`: every request carries `Authorization: System-Key <apikey>`, has a
 * timeout, and an answer that is a JSON object with an `error` key is a failure (what CodeDX.pm checked).
 *
 *   GET  <base>/projects                        find the project named after the package
 *   PUT  <base>/projects  {"name": "<package>"}  create it when absent, then list again
 *   POST <base>/projects/<id>/analysis           multipart file1..N, streamed from disk
 *
 * A real viewer serves https on <ip>:8443 with a self-signed certificate (curl -k: not verified); the
 * local platform's machine serves plain http on 127.0.0.1:<port>.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SwampError } from '../errors/index.js';

export interface ApiTarget {
  /** `http(s)://<vmip>/<urluuid>/api` (decide.ts viewerBaseUrl). */
  baseUrl: string;
  apikey: string;
  /** Per request without a body (default 30 s). */
  timeoutMs?: number;
  /** The upload: no byte moving for this long fails it (default 120 s). */
  uploadIdleMs?: number;
}

interface Answer {
  status: number;
  body: string;
}

function apiError(what: string, detail: string, kind: 'busy' | 'external' = 'external'): SwampError {
  return new SwampError(kind, `Code Dx API ${what}: ${detail}`);
}

async function request(t: ApiTarget, method: string, path: string, body?: { headers: Record<string, string | number>; write: (req: NodeJS.WritableStream) => Promise<void> }, timeoutMs?: number): Promise<Answer> {
  const url = new URL(`${t.baseUrl}${path}`);
  const https = url.protocol === 'https:';
  const mod = https ? await import('node:https') : await import('node:http');
  const opts: RequestOptions & { rejectUnauthorized?: boolean } = {
    method,
    headers: { Authorization: `System-Key ${t.apikey}`, Accept: 'application/json', ...(body?.headers ?? {}) },
    timeout: timeoutMs ?? t.timeoutMs ?? 30_000,
  };
  // curl -k: a viewer's certificate is self-signed; the address comes from our own collector ad.
  if (https) opts.rejectUnauthorized = false;
  return new Promise<Answer>((resolve, reject) => {
    const req = mod.request(url, opts, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // 'timeout' = no activity on the socket for that long (idle), which bounds a stalled upload too.
    req.on('timeout', () => req.destroy(apiError(`${method} ${url.pathname}`, 'timed out', 'busy')));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof SwampError ? e : apiError(`${method} ${url.pathname}`, e.code ?? e.message, 'busy')));
    if (body === undefined) {
      req.end();
    } else {
      body.write(req).then(
        () => req.end(),
        (e: unknown) => req.destroy(e instanceof Error ? e : new Error(String(e))),
      );
    }
  });
}

/** Parses an answer; a JSON object with `error`, a non-2xx status or non-JSON text is a failure. */
function json(what: string, a: Answer): unknown {
  let v: unknown;
  try {
    v = a.body === '' ? {} : JSON.parse(a.body);
  } catch {
    throw apiError(what, `HTTP ${a.status}, not JSON: ${a.body.slice(0, 200)}`);
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'error' in v) {
    throw apiError(what, `HTTP ${a.status}: ${String((v as { error: unknown }).error).slice(0, 200)}`);
  }
  if (a.status < 200 || a.status > 299) throw apiError(what, `HTTP ${a.status}: ${a.body.slice(0, 200)}`);
  return v;
}

/** The id of the project named `name` in a GET /projects answer, or undefined. */
export function findProjectId(listing: unknown, name: string): number | undefined {
  const projects = (listing as { projects?: unknown }).projects;
  if (!Array.isArray(projects)) return undefined;
  for (const p of projects) {
    const o = p as { id?: unknown; name?: unknown };
    if (o.name === name && (typeof o.id === 'number' || typeof o.id === 'string')) return Number(o.id);
  }
  return undefined;
}

export async function projectId(t: ApiTarget, name: string): Promise<number> {
  const found = findProjectId(json('GET projects', await request(t, 'GET', '/projects')), name);
  if (found !== undefined) return found;
  const payload = Buffer.from(JSON.stringify({ name }), 'utf8');
  const created = await request(t, 'PUT', '/projects', {
    headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length },
    write: async (req) => {
      req.write(payload);
    },
  });
  // 409 (already exists: a concurrent request created it) is fine; the listing below decides.
  if (created.status !== 409) json('PUT projects', created);
  const again = findProjectId(json('GET projects', await request(t, 'GET', '/projects')), name);
  if (again === undefined) throw apiError('PUT projects', `project ${JSON.stringify(name)} not found after creating it`);
  return again;
}

function headerValue(s: string): string {
  // a file name inside a quoted header parameter: no quotes, backslashes or line breaks
  return s.replace(/["\\\r\n]/g, '_');
}

/** POST multipart `file1..N`, streaming each file; returns the parsed answer. */
export async function uploadAnalysis(t: ApiTarget, id: number, files: readonly string[]): Promise<unknown> {
  const boundary = `----swamp-${randomBytes(12).toString('hex')}`;
  const parts: { head: Buffer; path: string; size: number }[] = [];
  for (const [i, f] of files.entries()) {
    const s = await stat(f);
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file${i + 1}"; filename="${headerValue(basename(f))}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      'utf8',
    );
    parts.push({ head, path: f, size: s.size });
  }
  const tail = Buffer.from(`--${boundary}--\r\n`, 'utf8');
  const length = parts.reduce((n, p) => n + p.head.length + p.size + 2, 0) + tail.length;
  const answer = await request(
    t,
    'POST',
    `/projects/${id}/analysis`,
    {
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': length },
      write: async (req) => {
        for (const p of parts) {
          req.write(p.head);
          await new Promise<void>((resolve, reject) => {
            const rs = createReadStream(p.path);
            rs.on('error', reject);
            rs.on('end', () => resolve());
            rs.pipe(req, { end: false });
          });
          req.write('\r\n');
        }
        req.write(tail);
      },
    },
    t.uploadIdleMs ?? 120_000,
  );
  return json('POST analysis', answer);
}

/** The whole upload: project by package name, then one analysis with every file. */
export async function uploadAnalysisRun(t: ApiTarget, packageName: string, files: readonly string[]): Promise<{ projectId: number; answer: unknown }> {
  const id = await projectId(t, packageName);
  return { projectId: id, answer: await uploadAnalysis(t, id, files) };
}
