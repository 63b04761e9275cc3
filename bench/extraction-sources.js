#!/usr/bin/env node
// Called by bench/reuse-beside-held.sh while a restore is held (issue 13): what it costs a new restore to take the
// held restore's base backup in each way it could, from the held tarball or from the held *extracted* directory.
// Times, --runs times each, alternating, into fresh directories:
//   link     `cp -al` of the extracted directory by the Barman user into a folder of its own: hard links, what
//            a restore beside a held one does (src/io/extracted-trees.ts; the worker then checks the linked
//            tree's listing against the held restore's record, not timed here);
//   tarball  copy the held data.tar.gz and extract it with the worker's guarded extractor (src/io/tar-extract.ts):
//            what the reuse did before it linked;
//   stream   `tar -c` of the held extracted data directory, run as the area's owner (the Barman user), piped
//            into the same guarded extractor: the one way root could take that tree safely (the owner can swap
//            a folder of its tree for a link; root must not read by path there, and the guard re-checks every
//            entry as it checks an archive's);
//   cp       `cp -a` of the extracted directory by the Barman user into a folder of its own: a lower bound for
//            any copy of the tree.
// Prints one JSON object: per method the runs in ms and the median, and the ratio of each median to tarball's.
// usage: node bench/extraction-sources.js --area DIR --server NAME --backup-id ID --owner USER --scratch DIR [--runs N]
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { copyFile, mkdir, rm, rmdir, chown } = require('node:fs/promises');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const { median } = require('./median');

const ROOT = join(__dirname, '..');
const lib = (p) => require(join(ROOT, 'lib', p));
const { extractArchive, extractStream } = lib('src/io/tar-extract.js');
const { workDirLayout, backupDir } = lib('src/io/work-dir.js');
const { asUserCommand, childEnvironment } = lib('src/io/run-command.js');
const { userIds } = lib('src/io/user-ids.js');

function args() {
  const { values } = parseArgs({
    options: Object.fromEntries(['area', 'server', 'backup-id', 'owner', 'scratch', 'runs'].map((name) => [name, { type: 'string' }])),
    strict: true,
  });
  for (const name of ['area', 'server', 'backup-id', 'owner', 'scratch']) if (!values[name]) throw new Error(`--${name} is required`);
  return { ...values, backupId: values['backup-id'], runs: Number(values.runs ?? 3) };
}

/** Runs `executable` as `user` as the worker does (runuser, the allow-listed environment); resolves when it exits 0. */
function asUser(user, executable, argv, onStdout) {
  const [command, commandArgs] = asUserCommand(user, executable, argv);
  const child = spawn(command, commandArgs, { env: childEnvironment(), stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'inherit'] });
  const exited = new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${executable} exited with ${code}`)))),
  );
  if (onStdout) onStdout(child.stdout);
  return exited;
}

/**
 * Removes a method's folder. cp's and link's belong to the Barman user, who wrote their contents: they are removed as
 * that user (root does not remove by path in a tree another user owns), then the emptied folder with rmdir, which
 * follows nothing.
 */
async function removeScratch(method, dir, owner) {
  if (method === 'cp' || method === 'link') {
    await asUser(owner, 'rm', ['-rf', '--', join(dir, 'data')]);
    await rmdir(dir).catch((err) => { if (err.code !== 'ENOENT') throw err; });
  } else {
    await rm(dir, { recursive: true, force: true });
  }
}

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main() {
  const a = args();
  const layout = workDirLayout(a.area);
  const heldData = join(backupDir(layout, a.server, a.backupId), 'data');
  const heldTarball = join(layout.downloads, a.backupId, 'data.tar.gz');
  const { uid, gid } = await userIds(a.owner);
  const methods = {
    async tarball(dir) {
      await mkdir(dir, { mode: 0o700 });
      await copyFile(heldTarball, join(dir, 'data.tar.gz'));
      await extractArchive(join(dir, 'data.tar.gz'), join(dir, 'data'), { compression: 'gzip' });
    },
    async stream(dir) {
      await mkdir(dir, { mode: 0o700 });
      let extraction;
      await asUser(a.owner, 'tar', ['--create', '--file=-', '--one-file-system', `--directory=${heldData}`, '.'], (stdout) => {
        extraction = extractStream({ stream: stdout, bytesTotal: 0, name: heldData }, join(dir, 'data'), { compression: 'none' });
      });
      await extraction;
    },
    async cp(dir) {
      await mkdir(dir, { mode: 0o700 });
      await chown(dir, uid, gid);
      await asUser(a.owner, 'cp', ['-a', '--', heldData, join(dir, 'data')]);
    },
    async link(dir) {
      await mkdir(dir, { mode: 0o700 });
      await chown(dir, uid, gid);
      await asUser(a.owner, 'cp', ['-a', '-l', '--', heldData, join(dir, 'data')]);
    },
  };
  const runs = Object.fromEntries(Object.keys(methods).map((m) => [m, []]));
  await mkdir(a.scratch, { recursive: true, mode: 0o755 });
  for (let run = 1; run <= a.runs; run++) {
    for (const [name, method] of Object.entries(methods)) {
      const dir = join(a.scratch, `${name}-${run}`);
      await removeScratch(name, dir, a.owner);
      // What the previous method wrote is flushed first, so that no method pays for another's writeback.
      execFileSync('sync');
      runs[name].push(Math.round(await timed(() => method(dir))));
      await removeScratch(name, dir, a.owner);
    }
  }
  const base = median(runs.tarball);
  const result = Object.fromEntries(Object.entries(runs).map(([m, ms]) => [m, { runs: ms, medianMs: median(ms), ratio: +(median(ms) / base).toFixed(2) }]));
  console.log(JSON.stringify(result));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
