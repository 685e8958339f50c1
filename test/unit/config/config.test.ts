import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../lib/errors/index.js';
import { isRoot, runAsSwamp } from '../../fixtures/unprivileged/as-swamp.js';
import { configFromText, loadConfig, resolveConfigPath, DEFAULT_CONFIG_PATH, SwampConfig } from '../../../lib/config/index.js';

const FIX = path.resolve(process.cwd(), 'test/fixtures/config');
const fixture = (name: string): SwampConfig => loadConfig({ path: path.join(FIX, name), env: {} });

describe('shipped swamp.conf variants (mirswamp/deployment)', () => {
  test('facility swamp.conf', () => {
    const c = fixture('swamp.conf');
    expect(c.source).toBe('option');
    expect(c.get('htcondor_collector_host')).toBe('HOSTNAME');
    expect(c.get('dbPerlDsnHost')).toBe('<dataserver hostname>');
    expect(c.get('master.viewer')).toBe('universal-centos-6.9-64-viewer');
    expect(c.get('floodlight')).toBe('<host url>:<port>');
    expect(c.get('owaspdc_port')).toBe('9092');
    expect(c.keys()).toHaveLength(41);
    expect(c.swampOn).toBe(true);
    expect(c.isSwampInABox).toBe(false);
    expect(c.resultsFolder).toBe('/swamp/working/results/');
    expect(c.reportUrl).toBe('https://HOSTNAME/results/');
    expect(c.viewer).toEqual({
      masterViewer: 'universal-centos-6.9-64-viewer',
      masterViewerType: 'VM',
      timeoutFrequencyMinutes: 10,
      timeoutDurationSeconds: 28800,
      timeoutLastlogSeconds: 3600,
      vmipLookupAttempts: 50,
      vmipLookupSleepSeconds: 3,
    });
    expect(c.htcondorPool).toEqual({ collectorHost: 'HOSTNAME', manager: 'HOSTNAME', submitNode: undefined });
    expect(c.agentMonitor).toEqual({ host: 'localhost', port: 8080 });
    // The template placeholder is refused with file and line.
    expect(() => c.database).toThrow(ConfigError);
    expect(() => c.database).toThrow(/swamp\.conf:7: dbPerlDsnHost: not a host name/);
  });

  test('SWAMP-in-a-Box and singleserver', () => {
    for (const name of ['swamp.conf.swampinabox', 'swamp.conf.singleserver']) {
      const c = fixture(name);
      expect(c.isSwampInABox).toBe(true);
      expect(c.htcondorPool).toBeUndefined();
      expect(c.internetInaccessible).toBe('false');
      expect(c.get('SWAMP-in-a-Box.libvirt.network')).toBe('swampinabox');
      expect(c.swampApiWebServer).toBe('HOSTNAME');
    }
  });

  test('swamponabox: quoting edge, key=value lines, method.* keys', () => {
    const c = fixture('swamp.conf.swamponabox');
    expect(c.get('email.from')).toBe('"Software Assurance Marketplace: Do Not Reply"<do-not-reply@mir-swamp.org>');
    expect(c.get('reporturl')).toBe('https://HOSTNAME/results/');
    expect(c.get('ldap.uri')).toBe('');
    expect(c.get('csaagent')).toBe('/opt/swamp/bin/csa_agent_launcher');
    expect(c.get('method.EXEC_COLLECTOR_GETSINGLEEXECUTIONRECORD')).toBe('swamp.execCollector.getSingleExecutionRecord');
    expect(c.get('dbQuartermasterURL')).toBe('jdbc:mariadb://HOSTNAME:3306/');
    expect(c.get('SWAMP-in-a-Box')).toBeUndefined();
    expect(c.isSwampInABox).toBe(false);
    // Absent keys fall back to the legacy defaults.
    expect(c.viewer.masterViewer).toBe('codedx-3.5.5-viewer');
    expect(c.viewer.vmipLookupAttempts).toBe(10);
  });

  test('every fixture parses and round-trips values without trailing blanks', () => {
    for (const name of ['swamp.conf', 'swamp.conf.singleserver', 'swamp.conf.swampinabox', 'swamp.conf.swamponabox']) {
      const c = fixture(name);
      for (const k of c.keys()) expect(c.get(k)).not.toMatch(/\s$/);
    }
  });
});

describe('lookup order', () => {
  test('explicit path, then SWAMP_CONFIG, then the installed default', () => {
    expect(resolveConfigPath({ path: '/x.conf', env: { SWAMP_CONFIG: '/y.conf' } })).toEqual({ path: '/x.conf', source: 'option' });
    expect(resolveConfigPath({ env: { SWAMP_CONFIG: '/y.conf' } })).toEqual({ path: '/y.conf', source: 'env' });
    expect(resolveConfigPath({ env: { SWAMP_CONFIG: '' } })).toEqual({ path: DEFAULT_CONFIG_PATH, source: 'default' });
    expect(resolveConfigPath({ path: '', env: {} })).toEqual({ path: DEFAULT_CONFIG_PATH, source: 'default' });
  });

  test('SWAMP_CONFIG is read from the environment', () => {
    const c = loadConfig({ env: { SWAMP_CONFIG: path.join(FIX, 'swamp.conf.swampinabox') } });
    expect(c.source).toBe('env');
    expect(c.isSwampInABox).toBe(true);
  });
});

describe('errors name the file and line', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'swamp-conf-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('missing file', () => {
    const f = path.join(dir, 'absent.conf');
    expect(() => loadConfig({ path: f })).toThrow(ConfigError);
    expect(() => loadConfig({ path: f })).toThrow(`cannot use config file ${f}: no such file`);
  });

  test('unreadable file', () => {
    const f = path.join(dir, 'secret.conf');
    writeFileSync(f, 'a=1\n');
    chmodSync(f, 0o000);
    if (!isRoot()) {
      expect(() => loadConfig({ path: f })).toThrow(/permission denied/);
      return;
    }
    // root reads anything: the same call as the unprivileged swamp user (the file stays root's, 000)
    chmodSync(dir, 0o755);
    const r = runAsSwamp(dir, (lib) => `
      import { loadConfig } from '${lib}/config/index.js';
      try { loadConfig({ path: ${JSON.stringify(f)} }); console.log('read it'); } catch (e) { console.log((e as Error).message); }
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/permission denied/);
  });

  test('directory', () => {
    expect(() => loadConfig({ path: dir })).toThrow(/is a directory/);
  });

  test('malformed line', () => {
    const f = path.join(dir, 'bad.conf');
    writeFileSync(f, '# ok\nSWAMPState = ON\n= broken\n');
    let err: unknown;
    try {
      loadConfig({ path: f });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(`${f}:3:`);
    expect((err as ConfigError).details).toMatchObject({ file: f, line: 3 });
  });

  test('bad typed value', () => {
    const c = configFromText('a=1\nhtcondor_assessment_max_retries = three\n', '/etc/x.conf');
    expect(() => c.assessmentMaxRetries).toThrow('/etc/x.conf:2: htcondor_assessment_max_retries: expected an integer, got "three"');
    const d = configFromText('dbPerlDsnPort = 99999\n', '/etc/y.conf');
    expect(() => d.database).toThrow(/y\.conf:1: dbPerlDsnPort: 99999 is out of range/);
    const e = configFromText('computeBOGChecksums = maybe\n');
    expect(() => e.computeBOGChecksums).toThrow(/expected yes\/no/);
  });
});

describe('typed accessors and legacy defaults', () => {
  const empty = configFromText('');

  test('defaults of an empty file', () => {
    expect(empty.swampOn).toBe(false);
    expect(empty.isSwampInABox).toBe(false);
    expect(empty.logDir).toBe('/opt/swamp/log');
    expect(empty.runDir).toBe('/opt/swamp/run');
    expect(empty.resultsFolder).toBe('/swamp/working/results/');
    expect(empty.assessmentMaxRetries).toBe(3);
    expect(empty.preferredPlatformType).toBe('VM');
    expect(empty.computeBOGChecksums).toBe(false);
    expect(empty.database).toEqual({ host: 'localhost', port: 3306, user: 'java_agent', password: '' });
    expect(empty.swampDir).toBe('/opt/swamp');
    expect(empty.binDir('/usr/bin/node')).toBe('/opt/swamp/bin');
    expect(empty.launchPad).toEqual({ host: 'localhost', port: 8085 });
    expect(empty.agentMonitor).toEqual({ host: 'localhost', port: 8084 });
    expect(empty.sonatypeIntegrator).toBe('SWAMP');
    expect(empty.htcondorRoot).toBeUndefined();
    expect(empty.htcondorEnv()).toEqual({});
    expect(empty.htcondorToolDir).toBe('/usr/bin');
    expect(empty.htcondorPool).toEqual({ collectorHost: undefined, manager: undefined, submitNode: undefined });
  });

  test('SWAMPState and SWAMP-in-a-Box take real yes-words only (legacy bugs fixed)', () => {
    expect(configFromText('SWAMPState = ON').swampOn).toBe(true);
    expect(configFromText('SWAMPState = on').swampOn).toBe(true);
    expect(configFromText('SWAMPState = OFF').swampOn).toBe(false);
    expect(configFromText('SWAMPState = none').swampOn).toBe(false);
    expect(configFromText('SWAMPState = JSON').swampOn).toBe(false);
    expect(configFromText('SWAMP-in-a-Box = no').isSwampInABox).toBe(false);
    expect(configFromText('SWAMP-in-a-Box = yes').isSwampInABox).toBe(true);
  });

  test('preferred platform type: DC or VM, anything else VM', () => {
    expect(configFromText('preferred_platform_type = DC').preferredPlatformType).toBe('DC');
    expect(configFromText('preferred_platform_type = docker').preferredPlatformType).toBe('VM');
  });

  test('htcondor_root gives CONDOR_CONFIG and the tools by absolute path, never a PATH entry', () => {
    const c = configFromText('htcondor_root = /opt/swamp/htcondor/');
    expect(c.htcondorEnv()).toEqual({ CONDOR_CONFIG: '/opt/swamp/htcondor/etc/condor_config' });
    expect(c.htcondorToolDir).toBe('/opt/swamp/htcondor/bin');
    expect(() => configFromText('htcondor_root = htc').htcondorToolDir).toThrow(/absolute/);
  });

  test('condor manager derived from the collector host like the legacy', () => {
    expect(configFromText('htcondor_collector_host = swa-csacol-dt-01.cosalab.org').htcondorPool).toEqual({
      collectorHost: 'swa-csacol-dt-01.cosalab.org',
      manager: 'swa-csacon-dt-01.mirsam.org',
      submitNode: undefined,
    });
    expect(
      configFromText('htcondor_collector_host = col.example.org\nhtcondor_condor_manager = cm.example.org\nhtcondor_submit_node = submit.example.org')
        .htcondorPool,
    ).toEqual({ collectorHost: 'col.example.org', manager: 'cm.example.org', submitNode: 'submit.example.org' });
  });

  test('database from legacy keys, from a DBI DSN and from a mariadb URL', () => {
    expect(configFromText('dbPerlDsnHost = db.example.org\ndbPerlDsnPort = 3307\ndbPerlUser = u\ndbPerlPass = "p w#"').database).toEqual({
      host: 'db.example.org',
      port: 3307,
      user: 'u',
      password: 'p w#',
    });
    expect(configFromText('dbPerlDsn = DBI:mysql:database=assessment;host=h1;port=3310\ndbPerlPass = x').database).toEqual({
      host: 'h1',
      port: 3310,
      database: 'assessment',
      user: 'java_agent',
      password: 'x',
    });
    expect(configFromText('dbPerlDsn = mariadb://me:secret@h2/swamp').database).toEqual({
      host: 'h2',
      port: 3306,
      database: 'swamp',
      user: 'me',
      password: 'secret',
    });
    expect(() => configFromText('dbPerlDsn = oracle:x').database).toThrow(/dbPerlDsn: unsupported DSN/);
  });

  test('binDir: the key, else the single-executable binary\'s own dir, else <swampDir>/bin; no trailing slash', () => {
    expect(configFromText('binDir = /x/bin/\nswampDir = /s').binDir('/t/bin/swamp')).toBe('/x/bin');
    expect(configFromText('swampDir = /s/').binDir('/t/bin/swamp')).toBe('/t/bin');
    expect(configFromText('swampDir = /s/').binDir('/usr/local/bin/node')).toBe('/s/bin');
  });

  test('logDir/runDir overridable (new keys)', () => {
    const c = configFromText('logDir = /var/log/swamp\nrunDir = /var/lib/swamp/run');
    expect(c.logDir).toBe('/var/log/swamp');
    expect(c.runDir).toBe('/var/lib/swamp/run');
  });

  test('fixture file bytes are unchanged by reading', () => {
    const text = readFileSync(path.join(FIX, 'swamp.conf'), 'utf8');
    expect(configFromText(text).keys()).toEqual(fixture('swamp.conf').keys());
  });
});
