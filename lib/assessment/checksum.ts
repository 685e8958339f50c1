/**
 * BOG checksum verification (swamp.conf `computeBOGChecksums`, legacy _computeBOG): the tool and
 * package archives must be readable and their SHA-512 (hex) must equal the DB's checksums. Streams the
 * files (archives can be large); legacy result codes: missing path or checksum -> BOG_ERROR (1),
 * unreadable -> FILESYSTEM_ERROR (2), mismatch -> CHECKSUM_ERROR (3).
 */
import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { BogError, LaunchCode, dbText, type ViewRow } from './bog.js';

export async function sha512File(path: string): Promise<string> {
  const hash = createHash('sha512');
  await new Promise<void>((resolve, reject) => {
    const s = createReadStream(path);
    s.on('data', (chunk) => hash.update(chunk));
    s.on('error', reject);
    s.on('end', () => resolve());
  });
  return hash.digest('hex');
}

async function verifyOne(what: string, path: string | undefined, expected: string | undefined): Promise<void> {
  if (!path || !expected) {
    throw new BogError(LaunchCode.BOG_ERROR, `no ${what} path or no ${what} checksum`, { path: path ?? '', checksum: expected ?? '' });
  }
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new BogError(LaunchCode.FILESYSTEM_ERROR, `${path} not readable`, { path }, 'not-found');
  }
  const found = await sha512File(path);
  // DB checksums are hex; compare case-insensitively (sha512sum prints lowercase, some tools do not).
  if (found.toLowerCase() !== expected.trim().toLowerCase()) {
    throw new BogError(LaunchCode.CHECKSUM_ERROR, `checksum mismatch for ${path}: found ${found}, expected ${expected}`, { path });
  }
}

/** Verifies tool then package, in the legacy order. */
export async function verifyBogChecksums(row: ViewRow): Promise<void> {
  await verifyOne('tool', dbText(row.tool_path), dbText(row.tool_checksum));
  await verifyOne('package', dbText(row.package_path), dbText(row.pkg_checksum));
}
