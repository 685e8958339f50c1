/**
 * Platform type and image selection (legacy _computeBOG + platformIdentifierToImage, mirswamp/services perl/agents/vmu_LaunchPad.pl _computeBOG, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties). Pure: the
 * candidate names (image directory listing, docker image list) are read by images.ts.
 *
 * - Preferred type from swamp.conf `preferred_platform_type`: `VM` (default; anything unknown is VM, as
 *   the legacy did), `DC` (docker), or `local` (new: our vanilla-universe machine, for pools where vm
 *   and docker jobs cannot run).
 * - VM and DC: look for an image of the preferred type, else of the other one, else fail (BOG error).
 *   `local` needs no image and never falls back; VM/DC never fall back to local (only an explicit
 *   choice runs the pretend machine).
 * - The identifier pattern: the DB identifier with `.minorversion-` standing for "any minor version"
 *   (`centos-7.minorversion-64` matches `centos-7.7-64`); every other character is literal (the legacy
 *   interpolated it into a regex unescaped; identifiers are letters, digits, '.', '-').
 * - VM: `find <imagesDir> -maxdepth 1 -name "*<id>*"`, then names matching `condor-<id>-master-(\d+)`,
 *   largest number wins; the image is the full path.
 * - DC: lines of the docker image list containing `swamp/` (when the list comes from `docker images`)
 *   matching the same regex, largest number wins; the image is the line's first field (repository).
 * - The final platform_identifier is the image basename without everything up to `condor-` and from
 *   `-master-` on.
 */
import { basename, join } from 'node:path';

export type PlatformType = 'VM' | 'DC' | 'local';

/** `preferred_platform_type` -> type; absent or unknown -> VM (legacy default). */
export function preferredPlatformType(value: string | undefined): PlatformType {
  const v = (value ?? '').trim();
  if (v === 'DC') return 'DC';
  if (v.toLowerCase() === 'local') return 'local';
  return 'VM';
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const MINOR = '.minorversion-';

/** Regex source matching the identifier (with `.minorversion-` = any minor version). */
export function identifierRegexSource(identifier: string): string {
  return identifier.split(MINOR).map(escapeRegex).join('\\..*-');
}

/** `condor-<id>-master-(\d+)`. */
export function imageRegex(identifier: string): RegExp {
  return new RegExp(`condor-${identifierRegexSource(identifier)}-master-(\\d+)`);
}

/** The glob part of `find -name "*<id>*"` as a test on a file name. */
function globMatches(identifier: string, name: string): boolean {
  return new RegExp(identifierRegexSource(identifier)).test(name);
}

/** Picks the candidate with the largest master number; undefined when none matches. */
function pickLargest<T>(items: readonly T[], text: (t: T) => string, re: RegExp): T | undefined {
  let best: T | undefined;
  let bestN = -1n;
  for (const it of items) {
    const m = re.exec(text(it));
    if (!m || m[1] === undefined) continue;
    const n = BigInt(m[1]);
    if (n > bestN) {
      best = it;
      bestN = n;
    }
  }
  return best;
}

/** The VM image (full path) for an identifier among the file names of the images directory. */
export function selectVmImage(identifier: string, imagesDir: string, names: readonly string[]): string | undefined {
  const candidates = names.filter((n) => globMatches(identifier, n));
  const best = pickLargest(candidates, (n) => n, imageRegex(identifier));
  return best === undefined ? undefined : join(imagesDir, best);
}

/**
 * The docker repository for an identifier among the lines of `docker images` (or the admin's copy in
 * swamp_docker_images.txt). Only repositories under `swamp/` count.
 */
export function selectDockerImage(identifier: string, lines: readonly string[]): string | undefined {
  const candidates = lines.filter((l) => l.includes('swamp/'));
  const best = pickLargest(candidates, (l) => l, imageRegex(identifier));
  return best === undefined ? undefined : best.trim().split(/\s+/)[0];
}

/** `…/condor-centos-7.7-64-master-2020040602.qcow2` -> `centos-7.7-64`; undefined without both marks. */
export function identifierFromImage(image: string): string | undefined {
  const base = basename(image);
  const start = base.indexOf('condor-');
  if (start < 0) return undefined;
  const rest = base.slice(start + 'condor-'.length);
  const end = rest.indexOf('-master-');
  if (end <= 0) return undefined;
  return rest.slice(0, end);
}

export interface ImageCandidates {
  /** File names in the VM images directory (not paths). */
  vmNames: readonly string[];
  imagesDir: string;
  /** Lines of the docker image list. */
  dockerLines: readonly string[];
}

export interface PlatformChoice {
  type: PlatformType;
  /** VM: qcow2 path; DC: repository; local: the machine program. */
  image: string;
  /** The identifier written into the BOG (rewritten from the image for VM/DC). */
  identifier: string;
}

/**
 * Chooses the platform for a run. `localImage` is what the BOG records as the image of the local
 * platform (the machine program). Returns undefined when no image exists (legacy BOG error 1).
 */
export function choosePlatform(identifier: string, preferred: PlatformType, c: ImageCandidates, localImage: string): PlatformChoice | undefined {
  if (preferred === 'local') return { type: 'local', image: localImage, identifier };
  const order: PlatformType[] = preferred === 'DC' ? ['DC', 'VM'] : ['VM', 'DC'];
  for (const type of order) {
    const image = type === 'VM' ? selectVmImage(identifier, c.imagesDir, c.vmNames) : selectDockerImage(identifier, c.dockerLines);
    if (image === undefined) continue;
    const id = identifierFromImage(image);
    if (id === undefined) return undefined; // legacy: "no platform component in <image>" -> BOG error
    return { type, image, identifier: id };
  }
  return undefined;
}
