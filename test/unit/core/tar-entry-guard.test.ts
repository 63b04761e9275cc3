// The tar entry guard on its own, without tar: entries as headers, in archive order.
import assert from 'node:assert/strict';
import { EntryGuard, type TarEntryHeader } from '../../../src/core/tar-entry-guard';

const file = (path: string): TarEntryHeader => ({ type: 'File', path });
const dir = (path: string): TarEntryHeader => ({ type: 'Directory', path });
const symlink = (path: string, linkpath: string): TarEntryHeader => ({ type: 'SymbolicLink', path, linkpath });
const hardlink = (path: string, linkpath: string): TarEntryHeader => ({ type: 'Link', path, linkpath });

describe('EntryGuard', () => {
  const root = '/stage/data';

  it('accepts what barman-cloud writes: files, folders, pg_tblspc links inside the directory', () => {
    const guard = new EntryGuard(root);
    for (const entry of [dir('./'), dir('base/1'), file('base/1/1259'), file('./PG_VERSION'), symlink('pg_tblspc/16385', '../base'), hardlink('base/1/x', 'base/1/1259')]) {
      assert.equal(guard.check(entry), undefined, entry.path);
    }
  });

  it('refuses absolute paths, .. components, devices and FIFOs', () => {
    const guard = new EntryGuard(root);
    assert.equal(guard.check(file('/etc/passwd')), 'absolute path');
    assert.equal(guard.check(file('base/../../x')), "path has a '..' component");
    assert.equal(guard.check({ type: 'CharacterDevice', path: 'dev' }), 'CharacterDevice entries are not allowed');
    assert.equal(guard.check({ type: 'FIFO', path: 'fifo' }), 'FIFO entries are not allowed');
    assert.equal(guard.check(file('.')), 'a File cannot replace the destination directory');
  });

  it('refuses symlinks leading out, relative or absolute, and follows the archive\'s own links to tell', () => {
    const guard = new EntryGuard(root);
    assert.match(guard.check(symlink('out', '../../etc')) ?? '', /resolves outside the destination/);
    assert.match(guard.check(symlink('abs', '/etc')) ?? '', /resolves outside the destination/);
    assert.match(guard.check(symlink('sneaky', '/stage/data/../other')) ?? '', /resolves outside/);
    assert.equal(guard.check(symlink('inside', '/stage/data/base')), undefined, 'an absolute target below the directory is inside');
    assert.equal(guard.check(symlink('up', 'base/..')), undefined);
    assert.equal(guard.check(symlink('a', '.')), undefined);
    assert.match(guard.check(symlink('b', 'a/..')) ?? '', /resolves outside/, '"a" is the directory itself, so a/.. is its parent');
  });

  it('refuses a path through an earlier symlink, and a loop of links', () => {
    const guard = new EntryGuard(root);
    assert.equal(guard.check(symlink('l', 'base')), undefined);
    assert.equal(guard.check(file('l/x')), 'path passes through the symlink l');
    assert.match(guard.check(hardlink('h', 'l/x')) ?? '', /passes through the symlink l/);
    assert.equal(guard.check(symlink('p', 'q')), undefined);
    assert.equal(guard.check(symlink('q', 'p')), undefined);
    assert.match(guard.check(symlink('r', 'p/x')) ?? '', /resolves outside/, 'more hops than the kernel allows');
  });

  it('forgets a symlink that a later file or folder replaces', () => {
    const guard = new EntryGuard(root);
    guard.check(symlink('l', 'base'));
    assert.equal(guard.check(dir('l')), undefined);
    assert.equal(guard.check(file('l/x')), undefined);
  });

  it('refuses hard links whose target is outside', () => {
    const guard = new EntryGuard(root);
    assert.match(guard.check(hardlink('h', '/etc/shadow')) ?? '', /hard link target "\/etc\/shadow" is outside/);
    assert.match(guard.check(hardlink('h', '../x')) ?? '', /is outside/);
  });
});
