// The lock scripts/make-fixture.sh takes ($RUN_DIR/fixture.lock), held by a `flock` child while a suite runs, so
// that no fixture build replaces a server folder (or the source folder the tablespace fixture records) meanwhile.
// End it with `lock.stdin.end()`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { STACK_DIR } from './stack-env';

export async function holdFixtureLock(): Promise<ChildProcess> {
  const lockFile = join(STACK_DIR, 'run', 'fixture.lock');
  await mkdir(join(STACK_DIR, 'run'), { recursive: true });
  const child = spawn('flock', ['-w', '900', lockFile, 'sh', '-c', 'echo locked; cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`flock ${lockFile} exited ${code} before taking the lock`)));
    child.stdout!.once('data', () => resolve());
  });
  return child;
}
