import { SeenWords, newWords, normalizeEventLine, parseIpAddressFile } from '../../../lib/monitor/protocol.js';
import { ASSESSMENT_WORDS, VIEWER_WORDS } from '../../../lib/monitor/words.js';

describe('event protocol (mirswamp/deployment swamp/config/libvirt_swamp_script.awk)', () => {
  test('every non-alphanumeric character is removed', () => {
    expect(normalizeEventLine('VIEWERUP\n')).toBe('VIEWERUP');
    expect(normalizeEventLine('  RUNSH-START\r')).toBe('RUNSHSTART');
    expect(normalizeEventLine('\u0000\u001bBEGIN_ASSESSMENT ')).toBe('BEGINASSESSMENT');
    expect(normalizeEventLine('caf\u00e9')).toBe('caf'); // ASCII only, as Perl on bytes
  });

  test('a word counts once, empty lines are nothing', () => {
    const seen = new SeenWords();
    expect(newWords(['RUNSHSTART', '', 'WROTEIPADDR', 'RUNSHSTART', ' WROTE-IPADDR'], seen)).toEqual(['RUNSHSTART', 'WROTEIPADDR']);
    expect(newWords(['RUNSHSTART', 'VIEWERUP', 'jsmith', 'jsmith'], seen)).toEqual(['VIEWERUP', 'jsmith']);
    expect(seen.list()).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'VIEWERUP', 'jsmith']);
  });

  test('IP file: dotted quad, optional port (local platform), non-printables stripped', () => {
    expect(parseIpAddressFile('10.1.2.3\n')).toEqual({ ip: '10.1.2.3' });
    expect(parseIpAddressFile('\u000010.1.2.3\r\nnext')).toEqual({ ip: '10.1.2.3' });
    expect(parseIpAddressFile('127.0.0.1:41234\n')).toEqual({ ip: '127.0.0.1', port: 41234 });
    expect(parseIpAddressFile('')).toBeUndefined();
    expect(parseIpAddressFile('host.example.org')).toBeUndefined();
    expect(parseIpAddressFile('127.0.0.1:0')).toBeUndefined();
  });

  test('word tables (mirswamp/services perl/agents/vmu_MonitorAssessment.pl, mirswamp/services perl/agents/vmu_PreViewer.pl, vmu_MonitorViewer.pl, vmu_PostViewer.pl)', () => {
    expect(Object.keys(ASSESSMENT_WORDS)).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'BEGINASSESSMENT', 'CONNECTEDUSERS', 'ENDASSESSMENT']);
    expect(Object.keys(VIEWER_WORDS)).toHaveLength(38);
    expect(VIEWER_WORDS.VIEWERUP).toEqual({ state: 2, status: 'Viewer is up' });
    expect(VIEWER_WORDS.VIEWERDOWN).toEqual({ state: -3, status: 'Viewer is shutdown' });
    expect(VIEWER_WORDS.CONNECTEDUSERS).toEqual({ state: -1, status: 'Checking for connected users' });
    expect(VIEWER_WORDS.VRUNSERVICESTOP).toBeUndefined();
    for (const w of Object.keys(VIEWER_WORDS)) expect(normalizeEventLine(w)).toBe(w);
  });
});
