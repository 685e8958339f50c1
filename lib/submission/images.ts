/**
 * Reads the platform image candidates (platform.ts decides): the VM images directory listing and the
 * docker image list. The list comes from swamp.conf `dockerImagesFile` (legacy
 * /opt/swamp/etc/swamp_docker_images.txt, an admin's copy of `docker images`, because the launcher
 * runs as the DB's user who may not talk to docker), else `docker images` (10 s timeout). Missing
 * sources are empty lists: "no image of that type".
 */
import { readdir } from 'node:fs/promises';
import { readConfiguredFile } from '../config/file.js';
import { run } from '../proc/run.js';
import type { ImageCandidates, PlatformType } from './platform.js';

export async function readImageCandidates(imagesDir: string, dockerImagesFile: string, preferred: PlatformType): Promise<ImageCandidates> {
  if (preferred === 'local') return { vmNames: [], imagesDir, dockerLines: [] };
  let vmNames: string[] = [];
  try {
    vmNames = await readdir(imagesDir);
  } catch {
    /* no images directory: no VM images */
  }
  let dockerLines: string[] = [];
  try {
    // bounded, regular file only, never blocking (docs/security.md)
    dockerLines = readConfiguredFile(dockerImagesFile, { what: 'docker images file', maxBytes: 4 * 1024 * 1024 }).split('\n');
  } catch {
    try {
      // by absolute path: nothing configured or inherited decides which program runs
      const r = await run('/usr/bin/docker', ['images'], { timeoutMs: 10_000 });
      dockerLines = r.stdout.split('\n');
    } catch {
      /* no docker here */
    }
  }
  return { vmNames, imagesDir, dockerLines };
}
