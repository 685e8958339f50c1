/**
 * Why strict mode exists: the same hostile values as strict-mode.test.ts, through the same calling
 * procedures, on a private mariadbd in the default (legacy-compatible) shell mode. Every field is
 * an injection point: each value's `touch <marker>` runs as the mariadbd user before (or instead
 * of) our program, and a caller sees no error for most of them. This file documents the legacy
 * behaviour (mirswamp/db Data Server/Assessment/assessment_procs.sql, mirswamp/services perl/agents/vmu_launchviewer.pl); it is not behaviour to keep.
 */
import { rmSync } from 'node:fs';
import { HexRecorder, killRun, markerDir, markers, seedHostileWorld, startInstance, type Instance } from './support.js';

let inst: Instance;
let bin: HexRecorder;
let marks: string;

beforeAll(async () => {
  bin = new HexRecorder();
  marks = markerDir();
  // the default configuration, written out: shell mode
  inst = await startInstance('shell', ['mode = shell']);
  await inst.db.execute('SET @swamp_bin_dir = ?', [bin.dir]);
}, 120_000);

afterAll(async () => {
  await inst?.stop();
  bin?.remove();
  if (marks) rmSync(marks, { recursive: true, force: true });
}, 60_000);

async function waitForMarkers(n: number): Promise<string[]> {
  // `&` puts the touch in the background: give it a moment
  for (let i = 0; i < 60 && markers(marks).length < n; i++) await new Promise((r) => setTimeout(r, 50));
  return markers(marks);
}

test('every user-controlled field of every calling procedure injects a command in shell mode', async () => {
  const world = await seedHostileWorld(inst.db, marks);
  bin.setStdout('launch_viewer', 'SUCCESS\n');
  const r = await world.runAll(inst.db);
  expect(await waitForMarkers(world.tags.length)).toEqual(world.tags);
  // and the callers mostly cannot tell: the last command of the line decides the status
  expect(r.kill).toBe('SUCCESS');
  expect(r.exec).toBe(0);
  expect(r.execLong).toBe(0);
  expect(r.codedx.rs).toBe('SUCCESS');
  // our program was started too, with the values cut at the injected quote
  expect(bin.callsUtf8().map((c) => c.program)).toEqual(expect.arrayContaining(['launch_viewer', 'kill_run', 'execute_execution_record']));
});

test('each hostile style in the kill id runs its command in shell mode', async () => {
  const before = markers(marks).length;
  const payloads = [
    `x'; touch ${marks}/s1; '`, `'$(touch ${marks}/s2)'`, `'\`touch ${marks}/s3\`'`, `x' | touch ${marks}/s4 | '`,
    `x'\ntouch ${marks}/s5\n'`, `x' && touch ${marks}/s6; '`,
  ];
  for (const p of payloads) await killRun(inst.db, p, '1');
  const after = await waitForMarkers(before + payloads.length);
  expect(after.filter((m) => m.startsWith('s'))).toEqual(['s1', 's2', 's3', 's4', 's5', 's6']);
});
