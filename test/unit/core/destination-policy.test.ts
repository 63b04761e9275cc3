import assert from 'node:assert/strict';
import { claimAuthorises, parseClaim, type DestinationClaim } from '../../../src/core/destination-claim';
import { destinationPolicyViolation, parseDestinationRoots } from '../../../src/core/destination-policy';

describe('destination policy', () => {
  const anywhere = { roots: [] };

  it('refuses system trees and anything inside them', () => {
    for (const path of ['/etc', '/etc/postgresql/15/main', '/usr', '/usr/local/pg', '/boot/x', '/proc/1', '/lib64/x']) {
      assert.match(destinationPolicyViolation(path, anywhere) ?? '', /system tree/, path);
    }
  });

  it('refuses shared directories themselves, not folders inside them', () => {
    for (const path of ['/', '/var', '/var/lib', '/var/lib/postgresql', '/home', '/srv', '/tmp', '/root']) {
      assert.match(destinationPolicyViolation(path, anywhere) ?? '', /shared system directory|system tree/, path);
    }
    for (const path of ['/var/lib/postgresql/restored', '/srv/restores/a', '/tmp/x', '/home/dba/pg', '/etcetera/x', '/usrdata/pg']) {
      assert.equal(destinationPolicyViolation(path, anywhere), null, path);
    }
  });

  it('with roots set, accepts only paths strictly inside one of them', () => {
    const policy = { roots: ['/srv/restores', '/data/pg'] };
    assert.equal(destinationPolicyViolation('/srv/restores/a', policy), null);
    assert.equal(destinationPolicyViolation('/data/pg/x/y', policy), null);
    assert.match(destinationPolicyViolation('/srv/restores', policy) ?? '', /outside the destination roots/);
    assert.match(destinationPolicyViolation('/srv/restores-old/a', policy) ?? '', /outside the destination roots .*PITR_DESTINATION_ROOTS=\/srv\/restores:\/data\/pg/);
  });

  it('parses PITR_DESTINATION_ROOTS, naming a bad entry', () => {
    assert.deepEqual(parseDestinationRoots(undefined), []);
    assert.deepEqual(parseDestinationRoots('/srv/restores:/data'), ['/srv/restores', '/data']);
    for (const bad of ['srv', '/srv/', '/srv/../etc', '/a//b']) {
      assert.throws(() => parseDestinationRoots(bad), new RegExp(`entry "${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" is not an absolute, normalised folder`));
    }
  });
});

describe('destination claim', () => {
  const claim: DestinationClaim = { restoreId: 'r', runId: 'run-1', destination: '/srv/x', device: '1', inode: '2', born: '3', created: true };
  const same = { device: '1', inode: '2', born: '3' };

  it('authorises only its run, its path and its very directory', () => {
    assert.equal(claimAuthorises(claim, { restoreId: 'r', runId: 'run-1' }, '/srv/x', same), true);
    assert.equal(claimAuthorises(claim, { restoreId: 'r', runId: 'run-2' }, '/srv/x', same), false, 'another run of the same restore');
    assert.equal(claimAuthorises(claim, { restoreId: 'other', runId: 'run-1' }, '/srv/x', same), false);
    assert.equal(claimAuthorises(claim, { restoreId: 'r', runId: 'run-1' }, '/srv/y', same), false);
    assert.equal(claimAuthorises(claim, { restoreId: 'r', runId: 'run-1' }, '/srv/x', { ...same, born: '4' }), false, 'a reused inode number');
    assert.equal(claimAuthorises(claim, { restoreId: 'r', runId: 'run-1' }, '/srv/x', null), false, 'nothing there');
    assert.equal(claimAuthorises(null, { restoreId: 'r', runId: 'run-1' }, '/srv/x', same), false);
  });

  it('reads an old path-only or damaged claim file as no claim', () => {
    assert.equal(parseClaim('/srv/x\n'), null);
    assert.equal(parseClaim('{"restoreId":"r"}'), null);
    assert.deepEqual(parseClaim(JSON.stringify(claim)), claim);
  });
});
