/**
 * The job hooks (HTCondor PreCmd/PostCmd) and the monitor entry, mirswamp/services perl/agents/vmu_perl_launcher and the hook scripts beside it (vmu_PreAssessment.pl, ...). See docs/hooks.md.
 */
import type { HookName } from './args.js';
import type { HookContext } from './context.js';
import { postAssessment } from './post-assessment.js';
import { postViewer } from './post-viewer.js';
import { preAssessment } from './pre-assessment.js';
import { preViewer } from './pre-viewer.js';

export * from './args.js';
export { scratchPaths, type HookContext } from './context.js';

const STEPS: Readonly<Record<HookName, (ctx: HookContext) => Promise<number>>> = {
  PreAssessment: preAssessment,
  PostAssessment: postAssessment,
  PreViewer: preViewer,
  PostViewer: postViewer,
};

/** Runs one hook; resolves to its exit code (HTCondor reads PostAssessment's). */
export function runHook(name: HookName, ctx: HookContext): Promise<number> {
  return STEPS[name](ctx);
}
