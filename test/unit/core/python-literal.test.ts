import assert from 'node:assert/strict';
import { parsePythonLiteral } from '../../../src/core/python-literal';

describe('core/python-literal', () => {
  it('reads scalars', () => {
    assert.equal(parsePythonLiteral('None'), null);
    assert.equal(parsePythonLiteral('True'), true);
    assert.equal(parsePythonLiteral('False'), false);
    assert.equal(parsePythonLiteral('16387'), 16387);
    assert.equal(parsePythonLiteral('-5'), -5);
    assert.equal(parsePythonLiteral('16387L'), 16387);
    assert.equal(parsePythonLiteral("  'x'  "), 'x');
  });

  it('decodes string escapes as repr writes them', () => {
    assert.equal(parsePythonLiteral(String.raw`'a\nb\tc\\d\'e'`), "a\nb\tc\\d'e");
    assert.equal(parsePythonLiteral(String.raw`"it's"`), "it's");
    assert.equal(parsePythonLiteral(String.raw`'\x00\xe9\u20ac\U0001F600'`), '\x00é€😀');
    assert.equal(parsePythonLiteral(String.raw`'\012\0'`), '\n\0');
    assert.equal(parsePythonLiteral(String.raw`'\q'`), '\\q');
    assert.equal(parsePythonLiteral(`'/srv/tbs=1 "quoted"'`), '/srv/tbs=1 "quoted"');
  });

  it('reads lists and tuples as arrays', () => {
    assert.deepEqual(parsePythonLiteral("[('tbs1', 16387, '/srv/tbs1'), ('tbs2', 16388, '/srv/tbs2')]"), [
      ['tbs1', 16387, '/srv/tbs1'],
      ['tbs2', 16388, '/srv/tbs2'],
    ]);
    assert.deepEqual(parsePythonLiteral('[]'), []);
    assert.deepEqual(parsePythonLiteral('()'), []);
    assert.deepEqual(parsePythonLiteral("[('a', 1),]"), [['a', 1]]);
    assert.deepEqual(parsePythonLiteral('[[1, [2, None]]]'), [[1, [2, null]]]);
  });

  it('refuses anything else, saying where', () => {
    for (const bad of [
      '',
      "'unterminated",
      "'x' 'y'",
      '[1 2]',
      '[1,',
      '{"a": 1}',
      '1.5',
      "__import__('os')",
      '99999999999999999999',
      String.raw`'\x4'`,
      String.raw`'\U00110000'`,
      "'trailing backslash\\",
    ]) {
      assert.throws(() => parsePythonLiteral(bad), SyntaxError, bad);
    }
    assert.throws(() => parsePythonLiteral('[1 2]'), /expected "," or "\]" at character 4/);
  });

  it('quotes at most a short excerpt of what it could not read, with control characters escaped', () => {
    assert.throws(
      () => parsePythonLiteral(`['\u009b2J', ${'1'.repeat(100_000)} 2]`),
      (err: Error) => {
        assert.ok(err.message.length < 200, `${err.message.length} characters`);
        assert.match(err.message, /of "\['\\u009b2J', 1+"\.\.\.$/);
        return true;
      },
    );
  });
});
