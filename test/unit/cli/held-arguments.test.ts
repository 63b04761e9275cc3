// The command line of a held restore: --hold on restore, and what advance and finish refuse before they connect.
import assert from 'node:assert/strict';
import { main } from '../../../src/client';
import { ADVANCE_USAGE } from '../../../src/cli/held';
import { parseRestoreArgs } from '../../../src/cli/restore';

const restoreArgs = ['--server', 'pg', '--target-time', '2026-12-01 06:34:09+00', '--dest', '/srv/r'];

async function refusal(argv: string[]): Promise<{ code: number; said: string }> {
  const said: string[] = [];
  const original = console.error;
  console.error = (text: string) => said.push(text);
  try {
    return { code: await main(argv), said: said.join('\n') };
  } finally {
    console.error = original;
  }
}

describe('pitr restore --hold, pitr advance, pitr finish: arguments', () => {
  it('restore --hold asks the workflow to hold; without it, no hold field is sent', () => {
    assert.equal(parseRestoreArgs([...restoreArgs, '--hold'], { PITR_BUCKET: 'b' }).input.hold, true);
    assert.equal('hold' in parseRestoreArgs(restoreArgs, { PITR_BUCKET: 'b' }).input, false);
  });

  it('advance needs the restore id and exactly one target, parsed as restore parses it', async () => {
    assert.deepEqual(await refusal(['advance', 'pitr:pg:/srv/r']), { code: 2, said: `pitr: a recovery target is required\nusage: ${ADVANCE_USAGE}` });
    assert.match((await refusal(['advance', 'pitr:pg:/srv/r', '--target-time', '2026-12-01 06:34:09+00', '--target-lsn', '0/1'])).said, /give one recovery target, not --target-time and --target-lsn/);
    assert.match((await refusal(['advance', 'pitr:pg:/srv/r', '--target-time', '2026-12-01 06:34:09'])).said, /has no UTC offset|offset/);
    assert.match((await refusal(['advance', '--target-lsn', '0/1'])).said, /usage: pitr advance RESTORE_ID TARGET/);
  });

  it('finish needs the restore id and one of --promote or --stop', async () => {
    for (const argv of [['finish', 'pitr:pg:/srv/r'], ['finish', 'pitr:pg:/srv/r', '--promote', '--stop'], ['finish', '--promote']]) {
      const { code, said } = await refusal(argv);
      assert.equal(code, 2, argv.join(' '));
      assert.match(said, /give the restore id and one of --promote or --stop/);
    }
  });
});
