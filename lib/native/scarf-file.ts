/**
 * I/O wrapper of the SCARF transform: reads the SCARF file in chunks, decodes it (BOM or the XML
 * declaration's encoding, UTF-8 by default), streams it through ScarfConverter (UTF-8 as raw bytes,
 * other encodings decoded and re-encoded) and writes the JSON bytes incrementally to a temporary
 * file next to the output, renamed into place only on success.
 */
import * as fs from 'node:fs';
import { TextDecoder } from 'node:util';
import { tempPathFor } from './atomic.js';
import type { ScarfMetadata } from './metadata.js';
import { createScarfConverter, type ScarfConvertStats } from './scarf-convert.js';
import type { ToolListShape } from './scarf-tool-list-data.js';

export interface ScarfFileOptions {
  inputPath: string;
  outputPath: string;
  toolName: string;
  metadata: ScarfMetadata | null;
  toolList?: ToolListShape;
  /** Read chunk size in bytes (default 64 KiB: small strings that die young). */
  chunkSize?: number;
}

/** Pick the decoder from the first bytes: BOM, else encoding="..." of the XML declaration. */
export function sniffEncoding(head: Buffer): string {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head[0] === 0x3c && head[1] === 0x00 && head[2] === 0x3f && head[3] === 0x00) return 'utf-16le';
  if (head[0] === 0x00 && head[1] === 0x3c && head[2] === 0x00 && head[3] === 0x3f) return 'utf-16be';
  const s = head.subarray(0, 200).toString('latin1');
  const m = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(s);
  return m?.[1]?.toLowerCase() ?? 'utf-8';
}

/** Writes all of `bytes` to fd. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

export async function convertScarfFile(opts: ScarfFileOptions): Promise<ScarfConvertStats> {
  const chunkSize = opts.chunkSize ?? 1 << 16;
  const inFd = fs.openSync(opts.inputPath, 'r');
  const tmp = tempPathFor(opts.outputPath);
  let outFd: number | null = null;
  try {
    outFd = fs.openSync(tmp, 'wx', 0o644);
    const fd = outFd;
    // The converter hands over its (reused) output buffer whenever 256 KiB are pending.
    const conv = await createScarfConverter({
      toolName: opts.toolName,
      metadata: opts.metadata,
      ...(opts.toolList ? { toolList: opts.toolList } : {}),
      emitBytes: (bytes) => writeAll(fd, bytes),
    });
    const buf = Buffer.allocUnsafe(chunkSize);
    // UTF-8 (the SCARF norm) goes to the converter as bytes; other encodings are decoded and re-encoded.
    let decoder: TextDecoder | null = null;
    let first = true;
    for (;;) {
      const n = fs.readSync(inFd, buf, 0, chunkSize, null);
      if (n === 0) break;
      const bytes = buf.subarray(0, n);
      if (first) {
        first = false;
        const enc = sniffEncoding(bytes);
        let d: TextDecoder;
        try {
          d = new TextDecoder(enc, { fatal: true });
        } catch {
          throw new Error(`unsupported XML encoding: ${enc}`);
        }
        if (d.encoding !== 'utf-8') decoder = d;
      }
      if (decoder === null) conv.writeBytes(bytes);
      else conv.write(decoder.decode(bytes, { stream: true }));
    }
    if (decoder !== null) {
      const rest = decoder.decode();
      if (rest.length > 0) conv.write(rest);
    }
    const stats = conv.close();
    fs.closeSync(fd);
    outFd = null;
    fs.renameSync(tmp, opts.outputPath);
    return stats;
  } catch (err) {
    if (outFd !== null) fs.closeSync(outFd);
    fs.rmSync(tmp, { force: true });
    throw err;
  } finally {
    fs.closeSync(inFd);
  }
}
