import { run } from '../../../lib/proc/run.js';

describe('run(): the one way to start a program', () => {
  test('arguments reach the program as they are, never through a shell', async () => {
    const r = await run('/bin/echo', ['a;b', '$HOME', '`id`'], { timeoutMs: 5000 });
    // stdout is kept byte for byte (a contract value ends in its newline)
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('a;b $HOME `id`\n');
  });

  test('a failure is an external error naming the program; okExitCodes accepts others', async () => {
    await expect(run('/bin/sh', ['-c', 'echo nope >&2; exit 3'], { timeoutMs: 5000 })).rejects.toMatchObject({ kind: 'external', message: expect.stringContaining('/bin/sh failed: nope') });
    expect((await run('/bin/sh', ['-c', 'exit 3'], { timeoutMs: 5000, okExitCodes: [0, 3] })).exitCode).toBe(3);
  });

  test('a timeout is busy (retry later); a missing program is not-found', async () => {
    await expect(run('/bin/sleep', ['5'], { timeoutMs: 200 })).rejects.toMatchObject({ kind: 'busy' });
    await expect(run('/nonexistent/program', [], { timeoutMs: 5000 })).rejects.toMatchObject({ kind: 'not-found' });
  });
});
