import { execa } from 'execa';
test('execa runs without a shell', async () => {
  const r = await execa('/bin/echo', ['a;b'], { timeout: 5000 });
  expect(r.stdout).toBe('a;b');
});
