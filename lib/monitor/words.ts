/**
 * Event word tables: what each word the machine writes means for the collector status.
 * Assessment: mirswamp/services perl/agents/vmu_MonitorAssessment.pl; viewer: mirswamp/services perl/agents/vmu_PreViewer.pl, vmu_MonitorViewer.pl, vmu_PostViewer.pl (vmu_MonitorViewer.pl) [COMPAT]. Words not in a
 * table (VRUNSERVICESTOP/START/STATUS, the user-name lines checktimeout writes, anything else) are
 * ignored.
 */
import { AssessmentStatus, ViewerState, type ViewerStateValue } from '../status/catalogue.js';

export interface AssessmentWordRule {
  /** Collector status (the retry suffix is appended by the monitor). */
  status: string;
  /** WROTEIPADDR: after advertising, read the machine's IP; ENDASSESSMENT: leave the loop. */
  then?: 'read-ip' | 'end';
}

export const ASSESSMENT_WORDS: Readonly<Record<string, AssessmentWordRule>> = {
  RUNSHSTART: { status: AssessmentStatus.StartingRunScript },
  WROTEIPADDR: { status: AssessmentStatus.WroteIpAddress, then: 'read-ip' },
  BEGINASSESSMENT: { status: AssessmentStatus.PerformingAssessment },
  CONNECTEDUSERS: { status: AssessmentStatus.CheckingConnectedUsers },
  ENDASSESSMENT: { status: AssessmentStatus.ShuttingDownMachine, then: 'end' },
};

/** The order a real assessment machine writes them (framework run.sh); CONNECTEDUSERS only when a user is logged in. */
export const ASSESSMENT_WORD_ORDER = ['RUNSHSTART', 'WROTEIPADDR', 'BEGINASSESSMENT', 'ENDASSESSMENT'] as const;

export interface ViewerWordRule {
  state: ViewerStateValue;
  status: string;
}

const L = ViewerState.Launching;
const S = ViewerState.Stopping;

export const VIEWER_WORDS: Readonly<Record<string, ViewerWordRule>> = {
  RUNSHSTART: { state: L, status: 'Starting viewer run script' },
  WROTEIPADDR: { state: L, status: 'Wrote viewer ip address' },
  NOIP: { state: S, status: 'Viewer has no ip address' },
  NOIPSHUTDOWN: { state: S, status: 'Shutting down viewer for no ip address' },
  MYSQLSTART: { state: L, status: 'Starting mysql service' },
  MYSQLFAIL: { state: S, status: 'Service mysql failed to start' },
  MYSQLSHUTDOWN: { state: S, status: 'Shutting down viewer for no mysql' },
  MYSQLRUN: { state: L, status: 'Service mysql running' },
  MYSQLEMPTY: { state: L, status: 'Restoring empty mysql database' },
  MYSQLGRANT: { state: L, status: 'Granting privileges for viewer database' },
  MYSQLDROP: { state: L, status: 'Dropping viewer database' },
  USERDB: { state: L, status: 'Restoring user database' },
  EMPTYDB: { state: L, status: 'Restoring empty viewer database' },
  CREATEPROXY: { state: L, status: 'Creating proxy directory' },
  CONFIG: { state: L, status: 'Restoring viewer configuration' },
  EMPTYCONFIG: { state: L, status: 'Initializing viewer configuration' },
  PROPERTIES: { state: L, status: 'Copying viewer properties' },
  APIKEY: { state: L, status: 'Inserting APIKEY' },
  BASEURL: { state: L, status: 'Inserting DefaultConfiguration' },
  WARFILE: { state: L, status: 'Restoring viewer war file' },
  TOMCATSTART: { state: L, status: 'Starting tomcat service' },
  TOMCATFAIL: { state: S, status: 'Service tomcat failed to start' },
  CONNECTEDUSERS: { state: S, status: 'Checking for connected users' },
  TOMCATSHUTDOWN: { state: S, status: 'Shutting down viewer for no tomcat' },
  TOMCATRUN: { state: L, status: 'Service tomcat running' },
  TIMERSTART: { state: L, status: 'Starting viewer checktimeout' },
  TIMERSHUTDOWN: { state: S, status: 'Shutting down viewer after timeout' },
  VIEWERDBBACKUP: { state: S, status: 'Starting viewer database backup' },
  VIEWERDBDUMPFAIL: { state: S, status: 'Viewer database dump failed' },
  VIEWERDBDUMPSUCCESS: { state: S, status: 'Viewer database dump succeeded' },
  VIEWERDBCONFIGFAIL: { state: S, status: 'Viewer configuration tar failed' },
  VIEWERDBCONFIGSUCCESS: { state: S, status: 'Viewer configuration tar succeeded' },
  VIEWERDBBUNDLESKIP: { state: S, status: 'Viewer user data bundling skipped' },
  VIEWERDBNOBUNDLE: { state: S, status: 'Viewer no user data to bundle' },
  VIEWERDBBUNDLEFAIL: { state: S, status: 'Viewer user data bundling failed' },
  VIEWERDBBUNDLESUCCESS: { state: S, status: 'Viewer user data bundling succeeded' },
  VIEWERUP: { state: ViewerState.Ready, status: 'Viewer is up' },
  VIEWERDOWN: { state: ViewerState.Shutdown, status: 'Viewer is shutdown' },
};

/** Normal start-up order of a viewer machine (vmu_vrun.sh / docker_vrun.sh, no saved database). */
export const VIEWER_STARTUP_WORDS = [
  'RUNSHSTART',
  'WROTEIPADDR',
  'MYSQLSTART',
  'MYSQLRUN',
  'CREATEPROXY',
  'PROPERTIES',
  'TOMCATSTART',
  'TOMCATRUN',
  'TIMERSTART',
  'VIEWERUP',
] as const;

/** Normal shutdown order (docker-viewer-management-service + codedx_viewerdb.sh). */
export const VIEWER_SHUTDOWN_WORDS = [
  'VRUNSERVICESTOP',
  'VIEWERDBBACKUP',
  'VIEWERDBDUMPSUCCESS',
  'VIEWERDBCONFIGSUCCESS',
  'VIEWERDBBUNDLESUCCESS',
  'VIEWERDOWN',
] as const;

/** The port a real viewer machine serves on; vmip = `<ip>:8443`. */
export const VIEWER_DEFAULT_PORT = 8443;
