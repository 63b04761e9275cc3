import assert from 'node:assert/strict';
import { excerpt, oversizeProblem, terminalSafe, terminalSafeJson, terminalSafeMessage } from '../../../src/core/untrusted-text';

const HOSTILE = 'a\u0000b\u0007c\u001b[2Jd\u007fe\u0085f\u009b31mg\u061ch\u200ei\u202ej\u2066k\u2028l\tm\nn\ro';

describe('core/untrusted-text', () => {
  it('terminalSafe removes every C0, DEL, C1 and bidirectional control, newlines and tabs included', () => {
    assert.equal(terminalSafe(HOSTILE), 'abc[2Jdef31mghijklmno');
    assert.equal(terminalSafe('plain text, ünïcode, 日本語'), 'plain text, ünïcode, 日本語');
  });

  it('terminalSafeMessage keeps newlines and tabs (a message of ours has several lines), nothing else', () => {
    assert.equal(terminalSafeMessage(HOSTILE), 'abc[2Jdef31mghijkl\tm\nno');
  });

  it('terminalSafeJson escapes what JSON.stringify leaves raw, and is the same JSON value', () => {
    const json = JSON.stringify({ status: HOSTILE });
    const safe = terminalSafeJson(json);
    assert.doesNotMatch(safe, /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    assert.deepEqual(JSON.parse(safe), { status: HOSTILE });
    const indented = JSON.stringify({ status: HOSTILE, list: [1] }, null, 2);
    assert.deepEqual(JSON.parse(terminalSafeJson(indented)), { status: HOSTILE, list: [1] }, 'the layout of indented JSON stays');
  });

  it('excerpt quotes at most 60 characters, escapes counted, and marks a cut', () => {
    assert.equal(excerpt('short'), '"short"');
    assert.equal(excerpt('x'.repeat(100)), `"${'x'.repeat(60)}"...`);
    const escaped = excerpt('\u001b'.repeat(100));
    assert.equal(escaped, `"${'\\u001b'.repeat(10)}"...`);
    assert.equal(excerpt('a\u009bb\u202ec'), '"a\\u009bb\\u202ec"');
    assert.equal(excerpt('é"\\'), '"é\\"\\\\"');
  });

  it('oversizeProblem says how large, against what', () => {
    assert.equal(oversizeProblem(1024, 1024, 'a backup.info'), undefined);
    assert.equal(oversizeProblem(2 * 1024 * 1024, 1024 * 1024, 'a backup.info'), 'it is 2.0 MiB, more than the 1.0 MiB a backup.info can be, so it is not read');
  });
});
