/**
 * Completion notification (legacy: `curl --silent --insecure -H 'Accept: application/json'
 * --header "Content-Length:0" -X POST <swamp_api_web_server>/execution_records/<id>/notify`), done with
 * node:https/http instead of a curl process. As with --insecure, the web server's certificate is not
 * verified (SiB installs use self-signed ones). Any failure is logged only: a missing e-mail must not
 * fail the run.
 */
import type { Logger } from '../log/index.js';

export const NOTIFY_TIMEOUT_MS = 30_000;

export function notifyUrl(base: string, execrunuid: string): string {
  return `${base.replace(/\/+$/, '')}/execution_records/${encodeURIComponent(execrunuid)}/notify`;
}

export async function notifyCompletion(base: string, execrunuid: string, log: Logger): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(notifyUrl(base, execrunuid));
  } catch {
    log.error('assessment notification failed - bad swamp_api_web_server', { base });
    return false;
  }
  const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise<boolean>((resolve) => {
    const req = mod.request(
      url,
      { method: 'POST', headers: { Accept: 'application/json', 'Content-Length': '0' }, timeout: NOTIFY_TIMEOUT_MS, rejectUnauthorized: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < 4096) body += c;
        });
        res.on('end', () => {
          const ok = (res.statusCode ?? 0) < 400 && body === '';
          log[ok ? 'info' : 'error'](`assessment notification ${ok ? 'succeeded' : 'failed'}`, { url: url.href, status: res.statusCode, body });
          resolve(ok);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${NOTIFY_TIMEOUT_MS} ms`)));
    req.on('error', (e) => {
      log.error('assessment notification failed', { url: url.href, error: e });
      resolve(false);
    });
    req.end();
  });
}
