/**
 * The HTCondor side of a viewer launch behind a small interface (launch.ts is tested with fakes):
 * the collector ad by exact Name, the queue by exact SWAMP_vrun_execrunuid (never a regexp or a
 * substring, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm getHTCondorJobId), advertising, the platform image, and condor_submit of the job dir's file.
 */
import { SwampError } from '../errors/index.js';
import { adNumber, advertise, isExactly, queryAds, queryQueue, type HTCondorContext } from '../htcondor/index.js';
import type { StatusAd } from '../status/index.js';
import { choosePlatform } from '../submission/platform.js';
import { readImageCandidates } from '../submission/images.js';
import { realCondor } from '../submission/condor.js';
import { LOCAL_VIEWER_PROGRAM, type ViewerPlatform } from './bog.js';
import type { QueuedJob } from './decide.js';
import type { ViewerSettings } from './settings.js';

export interface ViewerOps {
  /** The collector's ad named exactly `execrunid` (raw attributes), or undefined. */
  readAd(execrunid: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  /** Jobs in the queue whose SWAMP_vrun_execrunuid is exactly `execrunid`. */
  queuedJobs(execrunid: string): Promise<QueuedJob[]>;
  advertise(ad: StatusAd): Promise<void>;
  /** The viewer's platform: type, identifier and image (VM/DC image lookup as for assessments). */
  platform(): Promise<ViewerPlatform>;
  /** condor_submit <file> in the job dir; the cluster id. */
  submit(dir: string, file: string): Promise<number>;
}

export function realViewerOps(s: ViewerSettings): ViewerOps {
  const queueCtx: HTCondorContext = s.base.queueCtx;
  const collectorCtx: HTCondorContext = s.base.collectorCtx;
  const submitter = realCondor(queueCtx, collectorCtx);
  return {
    async readAd(execrunid) {
      const ads = await queryAds(collectorCtx, { constraint: isExactly('Name', execrunid), myType: 'Generic' });
      return ads[0];
    },
    async queuedJobs(execrunid) {
      const ads = await queryQueue(queueCtx, {
        constraint: isExactly('SWAMP_vrun_execrunuid', execrunid),
        attributes: ['ClusterId', 'ProcId', 'JobStatus', 'SWAMP_vrun_execrunuid'],
      });
      return ads.map((ad) => ({ cluster: adNumber(ad, 'ClusterId') ?? -1, proc: adNumber(ad, 'ProcId') ?? 0, jobStatus: adNumber(ad, 'JobStatus') }));
    },
    async advertise(ad) {
      await advertise(collectorCtx, [ad]);
    },
    async platform() {
      if (s.viewerType === 'local') return { type: 'local', identifier: s.masterViewer, image: LOCAL_VIEWER_PROGRAM };
      const candidates = await readImageCandidates(s.base.imagesDir, s.base.dockerImagesFile, s.viewerType);
      const c = choosePlatform(s.masterViewer, s.viewerType, candidates, LOCAL_VIEWER_PROGRAM);
      if (c === undefined || c.type === 'local') throw new SwampError('not-found', `no VM or docker image for viewer platform ${JSON.stringify(s.masterViewer)}`);
      return { type: c.type, identifier: c.identifier, image: c.image };
    },
    submit(dir, file) {
      return submitter.submitFile(dir, file);
    },
  };
}
