/**
 * The part of the Code Dx web API that SWAMP's uploader uses (services:perl/agents/lib/SWAMP/CodeDX.pm;
 * mirswamp/services perl/agents/vmu_launchviewer.pl doViewerVM), served by the local viewer machine, plus two read-back routes for
 * tests. All routes live under `/<PROJECT>/api/` where PROJECT is the viewer's url uuid
 * (`proxy-<uuid>`), and need `Authorization: System-Key <apikey>` when the machine knows its API key:
 *
 *   GET    /<P>/api/projects                    -> {"projects":[{"id":1,"name":"pkg"}]}
 *   PUT    /<P>/api/projects   {"name":"pkg"}   -> {"id":1,"name":"pkg"}
 *   DELETE /<P>/api/projects/<id>               -> {}
 *   POST   /<P>/api/projects/<id>/analysis      multipart file1, file2, … -> {"analysisId":1,"jobId":"…"}
 *   GET    /<P>/api/projects/<id>/analyses      -> {"analyses":[{id, jobId, files:[{field,name,size,sha256}]}]}  (read-back)
 *   GET    /<P>/api/projects/<id>/analyses/<a>/files/<name>  -> the stored bytes                          (read-back)
 *
 * Errors are JSON objects with an `error` key, which is what the uploader checks. The state (the
 * "database") is a JSON document; uploaded files are stored under the project's config directory, the
 * way Code Dx keeps them in its appdata directory (/var/lib/codedx/<PROJECT>/config).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

export const VIEWER_DB_FORMAT = 'swamp-local-viewer-db/1';

export interface StoredFile {
  field: string;
  name: string;
  size: number;
  sha256: string;
}

export interface Analysis {
  id: number;
  jobId: string;
  createdAt: string;
  files: StoredFile[];
}

export interface Project {
  id: number;
  name: string;
  analyses: Analysis[];
}

export interface ViewerDb {
  format: typeof VIEWER_DB_FORMAT;
  nextProjectId: number;
  nextAnalysisId: number;
  projects: Project[];
}

export function emptyDb(): ViewerDb {
  return { format: VIEWER_DB_FORMAT, nextProjectId: 1, nextAnalysisId: 1, projects: [] };
}

/** Parse a dumped database (our codedx.sql); throws on anything else. */
export function parseDb(text: string): ViewerDb {
  const v = JSON.parse(text) as Partial<ViewerDb>;
  if (v.format !== VIEWER_DB_FORMAT || !Array.isArray(v.projects)) throw new Error('not a local viewer database dump');
  return {
    format: VIEWER_DB_FORMAT,
    nextProjectId: v.nextProjectId ?? 1,
    nextAnalysisId: v.nextAnalysisId ?? 1,
    projects: v.projects,
  };
}

export interface ViewerApiOptions {
  /** The url uuid; undefined = accept any first path segment. */
  project: string | undefined;
  /** Expected system key; undefined = no authentication (no key known). */
  apikey: string | undefined;
  /** `/var/lib/codedx/<PROJECT>/config` of this machine. */
  configDir: string;
  db: ViewerDb;
  /** False until "tomcat" runs: the API answers 503 like a starting Tomcat. */
  isReady: () => boolean;
  /** Called on every request (idle timeout bookkeeping). */
  onActivity?: () => void;
  /** Upload size cap in bytes (default 512 MiB): the body is buffered to parse the multipart form. */
  maxBodyBytes?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > max) throw new HttpError(413, `request body larger than ${max} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** A stored file name: the client's base name with anything but [A-Za-z0-9._-] replaced, never `.`/`..`. */
export function safeFileName(name: string): string {
  const b = basename(name.replace(/\\/g, '/')).replace(/[^A-Za-z0-9._-]/g, '_');
  return b === '' || b === '.' || b === '..' ? 'upload' : b;
}

/** Builds the request handler; `db` is mutated in place (the machine dumps it on shutdown). */
export function createViewerApi(o: ViewerApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const max = o.maxBodyBytes ?? 512 * 1024 * 1024;
  const filesDir = join(o.configDir, 'files');

  const findProject = (id: string | undefined): Project => {
    const p = o.db.projects.find((x) => String(x.id) === id);
    if (!p) throw new HttpError(404, `no project ${id ?? ''}`);
    return p;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    o.onActivity?.();
    const url = new URL(req.url ?? '/', 'http://viewer.invalid');
    const parts = url.pathname.split('/').filter((x) => x !== '').map((x) => decodeURIComponent(x));
    const [proj, api, ...rest] = parts;
    if (proj === undefined || (o.project !== undefined && proj !== o.project)) throw new HttpError(404, 'unknown path');
    if (api === undefined) {
      res.writeHead(o.isReady() ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(o.isReady() ? 'Code Dx (SWAMP local viewer machine)\n' : 'starting\n');
      return;
    }
    if (api !== 'api') throw new HttpError(404, 'unknown path');
    if (!o.isReady()) throw new HttpError(503, 'viewer is starting');
    if (o.apikey !== undefined) {
      const auth = req.headers.authorization ?? '';
      if (!/^System-Key\s+/i.test(auth) || auth.replace(/^System-Key\s+/i, '') !== o.apikey) throw new HttpError(401, 'Unauthorized');
    }
    const method = req.method ?? 'GET';
    const [coll, id, sub, aid, filesSeg, fileName] = rest;
    if (coll !== 'projects') throw new HttpError(404, 'unknown path');

    if (id === undefined) {
      if (method === 'GET') {
        sendJson(res, 200, { projects: o.db.projects.map((p) => ({ id: p.id, name: p.name })) });
        return;
      }
      if (method === 'PUT' || method === 'POST') {
        let name: unknown;
        try {
          name = (JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8')) as { name?: unknown }).name;
        } catch {
          throw new HttpError(400, 'body must be JSON {"name": "…"}');
        }
        if (typeof name !== 'string' || name === '') throw new HttpError(400, 'project name missing');
        if (o.db.projects.some((p) => p.name === name)) throw new HttpError(409, `project '${name}' exists`);
        const p: Project = { id: o.db.nextProjectId++, name, analyses: [] };
        o.db.projects.push(p);
        sendJson(res, 200, { id: p.id, name: p.name });
        return;
      }
      throw new HttpError(405, `${method} not allowed`);
    }

    const project = findProject(id);
    if (sub === undefined) {
      if (method === 'DELETE') {
        o.db.projects = o.db.projects.filter((p) => p !== project);
        await rm(join(filesDir, String(project.id)), { recursive: true, force: true });
        sendJson(res, 200, {});
        return;
      }
      if (method === 'GET') {
        sendJson(res, 200, { id: project.id, name: project.name });
        return;
      }
      throw new HttpError(405, `${method} not allowed`);
    }

    if (sub === 'analysis' && aid === undefined && method === 'POST') {
      const body = await readBody(req, max);
      const ct = req.headers['content-type'] ?? '';
      if (!/^multipart\/form-data/i.test(ct)) throw new HttpError(400, 'multipart/form-data expected');
      // The WHATWG Request parses multipart bodies: no hand-written parser, no extra dependency.
      let form: FormData;
      try {
        form = await new Request('http://viewer.invalid/', { method: 'POST', headers: { 'content-type': ct }, body }).formData();
      } catch (e) {
        throw new HttpError(400, `bad multipart body: ${String(e)}`);
      }
      const analysisId = o.db.nextAnalysisId++;
      const dir = join(filesDir, String(project.id), String(analysisId));
      await mkdir(dir, { recursive: true });
      const files: StoredFile[] = [];
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') continue;
        const bytes = Buffer.from(await value.arrayBuffer());
        let name = safeFileName(value.name);
        while (files.some((f) => f.name === name)) name = `_${name}`;
        await writeFile(join(dir, name), bytes);
        files.push({ field, name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
      }
      if (files.length === 0) {
        await rm(dir, { recursive: true, force: true });
        throw new HttpError(400, 'no files in the upload');
      }
      const analysis: Analysis = { id: analysisId, jobId: `local-job-${analysisId}`, createdAt: new Date().toISOString(), files };
      project.analyses.push(analysis);
      sendJson(res, 202, { analysisId, jobId: analysis.jobId });
      return;
    }

    if (sub === 'analyses' && method === 'GET') {
      if (aid === undefined) {
        sendJson(res, 200, { analyses: project.analyses });
        return;
      }
      const analysis = project.analyses.find((a) => String(a.id) === aid);
      if (!analysis) throw new HttpError(404, `no analysis ${aid}`);
      if (filesSeg === undefined) {
        sendJson(res, 200, analysis);
        return;
      }
      const f = filesSeg === 'files' ? analysis.files.find((x) => x.name === fileName) : undefined;
      if (!f) throw new HttpError(404, 'no such file');
      const bytes = await readFile(join(filesDir, String(project.id), String(analysis.id), f.name));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      res.end(bytes);
      return;
    }
    throw new HttpError(404, 'unknown path');
  };

  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) sendJson(res, status, { error: e instanceof Error ? e.message : String(e) });
      else res.destroy();
      // Drain what the client still sends so it sees the answer instead of a reset.
      req.resume();
    });
  };
}
