// --tablespace NAME=DIR on `pitr restore` (and `pitr plan`, which parses it the same way): what reaches the input.
import assert from 'node:assert/strict';
import { parseRestoreArgs } from '../../../src/cli/restore';
import { UsageError } from '../../../src/cli/usage-error';
import { validateRestoreInput } from '../../../src/core/restore-input';

const env = { PITR_BUCKET: 'b' };
const base = ['--server', 'pg', '--target-time', '2026-12-01 06:34:09+00', '--dest', '/srv/r'];

describe('pitr restore --tablespace NAME=DIR', () => {
  it('leaves the field out without --tablespace (every tablespace then goes beside the destination)', () => {
    assert.equal(parseRestoreArgs(base, env).input.tablespaces, undefined);
  });

  it('takes the option repeatedly, in order, into a valid input', () => {
    const { input } = parseRestoreArgs([...base, '--tablespace', 'ts1=/fast/ts1', '--tablespace=idx=/srv/idx'], env);
    assert.deepEqual(input.tablespaces, [
      { name: 'ts1', location: '/fast/ts1' },
      { name: 'idx', location: '/srv/idx' },
    ]);
    assert.equal(validateRestoreInput(input), input);
  });

  it('refuses as bad usage: no "=", a relative folder, a name given twice, a folder inside --dest', () => {
    const refused = (extra: string[], pattern: RegExp) =>
      assert.throws(() => parseRestoreArgs([...base, ...extra], env), (err: unknown) => err instanceof UsageError && pattern.test(err.message), extra.join(' '));
    refused(['--tablespace', 'ts1'], /--tablespace "ts1": expected NAME=DIR/);
    refused(['--tablespace', 'ts1=fast/ts1'], /the location "fast\/ts1" is not an absolute, normalised folder/);
    refused(['--tablespace', 'ts1=/a', '--tablespace', 'ts1=/b'], /^--tablespace: tablespace "ts1" is placed twice; name each tablespace once$/);
    refused(['--tablespace', 'ts1=/srv/r/ts1'], /^--tablespace: tablespace "ts1"'s location \/srv\/r\/ts1 is inside the destination \/srv\/r/);
  });

  it('is checked again in the input a script sends without the CLI', () => {
    const { input } = parseRestoreArgs(base, env);
    assert.throws(
      () => validateRestoreInput({ ...input, tablespaces: [{ name: 'ts1', location: 'relative' }] }),
      /^InvalidInput|invalid restore input: tablespaces\[0\]: the location "relative" is not an absolute, normalised folder/,
    );
    assert.throws(() => validateRestoreInput({ ...input, tablespaces: 'ts1=/x' }), /tablespaces is string; expected an array of \{name, location\}/);
  });
});
