import assert from 'node:assert/strict';
import {
  barmanTablespaceArgs,
  parseTablespaceOption,
  placeTablespaces,
  tablespaceChoicesProblems,
  tablespaceDefaultLocation,
} from '../../../src/core/tablespace-locations';
import { FailureTypes, RestoreError } from '../../../src/shared';

const backupTablespaces = [
  { name: 'ts1', oid: 16414, location: '/srv/source/ts1' },
  { name: 'idx', oid: 16500, location: '/srv/source/idx' },
];

describe('tablespace locations', () => {
  describe('--tablespace NAME=DIR', () => {
    it('splits at the first "=": the name before it, the folder after it', () => {
      assert.deepEqual(parseTablespaceOption('ts1=/srv/restored-ts1'), { name: 'ts1', location: '/srv/restored-ts1' });
      assert.deepEqual(parseTablespaceOption('ts1=/srv/a=b'), { name: 'ts1', location: '/srv/a=b' });
      assert.deepEqual(parseTablespaceOption('Ünïcode ts=/srv/x:y'), { name: 'Ünïcode ts', location: '/srv/x:y' });
    });

    it('refuses a value without a name or "=", saying NAME=DIR with an example', () => {
      for (const text of ['ts1', '=/srv/x', '', '/srv/x']) {
        assert.throws(() => parseTablespaceOption(text), /expected NAME=DIR.*e\.g\. --tablespace ts1=\/var\/lib\/postgresql\/restored-ts1/, text);
      }
    });

    it('refuses a relative, unnormalised or root folder, and a name Barman cannot carry (":")', () => {
      for (const text of ['ts1=srv/x', 'ts1=/srv/../etc', 'ts1=/srv//x', 'ts1=/srv/x/', 'ts1=/', 'ts1=', 'ts1=/srv/./x']) {
        assert.throws(() => parseTablespaceOption(text), /not an absolute, normalised folder/, text);
      }
      assert.throws(() => parseTablespaceOption('a:b=/srv/x'), /contains ':', which Barman's --tablespace NAME:DIR cannot carry/);
      assert.throws(() => parseTablespaceOption('a\nb=/srv/x'), /control characters/);
    });
  });

  describe('the default location', () => {
    it('is <destination>.tablespaces/<name>: beside the data directory, never inside it', () => {
      assert.equal(tablespaceDefaultLocation('/var/lib/postgresql/restored', 'ts1'), '/var/lib/postgresql/restored.tablespaces/ts1');
      assert.equal(tablespaceDefaultLocation('/srv/r', 'índice_2'), '/srv/r.tablespaces/índice_2');
    });

    it('does not exist for a name that cannot be a folder name', () => {
      for (const name of ['a/b', '..', '.', '.hidden', 'a b', 'a\tb', '', 'x'.repeat(256)]) {
        assert.equal(tablespaceDefaultLocation('/srv/r', name), null, JSON.stringify(name));
      }
    });
  });

  describe('placing the backup\'s tablespaces', () => {
    it('uses the user\'s folder for a named tablespace and the default for the others, never the recorded one', () => {
      const placed = placeTablespaces('20261201T063402', backupTablespaces, [{ name: 'idx', location: '/fast/idx' }], '/srv/r');
      assert.deepEqual(placed, [
        { name: 'ts1', oid: 16414, location: '/srv/r.tablespaces/ts1', source: 'default', original: '/srv/source/ts1' },
        { name: 'idx', oid: 16500, location: '/fast/idx', source: 'named', original: '/srv/source/idx' },
      ]);
      assert.deepEqual(barmanTablespaceArgs(placed), ['--tablespace', 'ts1:/srv/r.tablespaces/ts1', '--tablespace', 'idx:/fast/idx']);
    });

    it('uses the recorded folder only when the user names it', () => {
      const [ts1] = placeTablespaces('b', backupTablespaces.slice(0, 1), [{ name: 'ts1', location: '/srv/source/ts1' }], '/srv/r');
      assert.equal(ts1!.location, '/srv/source/ts1');
      assert.equal(ts1!.source, 'named');
    });

    it('has nothing to place for a backup without tablespaces', () => {
      assert.deepEqual(placeTablespaces('b', [], undefined, '/srv/r'), []);
    });

    it('refuses a name the backup does not have, naming the backup and its tablespaces', () => {
      assert.throws(
        () => placeTablespaces('20261201T063402', backupTablespaces, [{ name: 'ts2', location: '/srv/x' }], '/srv/r'),
        (err: unknown) =>
          err instanceof RestoreError &&
          err.type === FailureTypes.InvalidInput &&
          err.message.startsWith('--tablespace names "ts2", which backup 20261201T063402 does not have: its tablespaces are "ts1", "idx". ') &&
          err.message.includes('<destination>.tablespaces/<name>'),
      );
      assert.throws(() => placeTablespaces('b', [], [{ name: 'ts1', location: '/srv/x' }], '/srv/r'), /which backup b does not have: it has no tablespaces/);
    });

    it('asks for --tablespace when a tablespace\'s name cannot be a folder name', () => {
      assert.throws(
        () => placeTablespaces('b', [{ name: 'a/b', oid: 1, location: '/x' }], undefined, '/srv/r'),
        /tablespace "a\/b" \(oid 1\) of backup b has a name that cannot be a folder name.*--tablespace "a\/b=DIR"/,
      );
      assert.equal(placeTablespaces('b', [{ name: 'a/b', oid: 1, location: '/x' }], [{ name: 'a/b', location: '/srv/ab' }], '/srv/r')[0]!.location, '/srv/ab');
    });

    it('refuses a location inside the data directory, containing it, or overlapping another tablespace\'s', () => {
      const place = (choices: { name: string; location: string }[]) => () => placeTablespaces('b', backupTablespaces, choices, '/srv/r');
      assert.throws(place([{ name: 'ts1', location: '/srv/r/ts1' }]), /location \/srv\/r\/ts1 is inside the destination \/srv\/r/);
      assert.throws(place([{ name: 'ts1', location: '/srv/r' }]), /location \/srv\/r is the destination/);
      assert.throws(place([{ name: 'ts1', location: '/srv' }]), /location \/srv contains the destination \/srv\/r/);
      assert.throws(place([{ name: 'idx', location: '/srv/r.tablespaces/ts1/idx' }]), /tablespaces "ts1" \(\/srv\/r.tablespaces\/ts1\) and "idx" .* overlap/);
      assert.throws(place([{ name: 'ts1', location: '/t/a' }, { name: 'idx', location: '/t/a' }]), /overlap; give each tablespace a folder of its own/);
    });
  });

  describe('the input field (scripts start restores without the CLI)', () => {
    it('accepts an array of {name, location}', () => {
      assert.deepEqual(tablespaceChoicesProblems([], '/srv/r'), []);
      assert.deepEqual(tablespaceChoicesProblems([{ name: 'ts1', location: '/srv/t' }], '/srv/r'), []);
    });

    it('names each problem with its index', () => {
      assert.deepEqual(tablespaceChoicesProblems('ts1=/x', '/srv/r'), ['tablespaces is string; expected an array of {name, location}']);
      const problems = tablespaceChoicesProblems(
        [{ name: 'ts1', location: 'rel' }, { name: 'ts1', location: '/a' }, { name: 'ts1', location: '/b' }, { name: 'x' }, { name: 'y', location: '/srv/r/y' }],
        '/srv/r',
      );
      assert.equal(problems.length, 4, problems.join('\n'));
      assert.match(problems[0]!, /^tablespaces\[0\]: the location "rel" is not an absolute, normalised folder/);
      assert.match(problems[1]!, /^tablespaces\[2\]: tablespace "ts1" is placed twice/);
      assert.match(problems[2]!, /^tablespaces\[3\] is not \{name, location\}/);
      assert.match(problems[3]!, /^tablespaces: tablespace "y"'s location \/srv\/r\/y is inside the destination/);
    });
  });
});
