import assert from 'node:assert/strict';
import { assertShellSafeDestination, unsafeDestinationCharacters } from '../../../src/core/destination-name';

describe('core/destination-name', () => {
  it('accepts ordinary data directory paths, in any script', () => {
    for (const path of ['/var/lib/postgresql/restored', '/srv/restore/pg-15_2026-11-24T23:00:41+00:00', '/data/répertoire/数据', '/a/b,c@d=e']) {
      assert.deepEqual(unsafeDestinationCharacters(path), [], path);
      assert.doesNotThrow(() => assertShellSafeDestination(path));
    }
  });

  it('names every character a shell or restore_command would interpret', () => {
    assert.deepEqual(unsafeDestinationCharacters('/srv/restore/$(touch owned)'), ['$ (dollar)', '"(" (U+0028)', 'space', '")" (U+0029)']);
    assert.deepEqual(unsafeDestinationCharacters('/srv/`id`'), ['` (backtick)']);
    assert.deepEqual(unsafeDestinationCharacters(`/srv/a'b"c`), ["' (single quote)", '" (double quote)']);
    assert.deepEqual(unsafeDestinationCharacters('/srv/a\nb\\c'), ['newline', '\\ (backslash)']);
    assert.deepEqual(unsafeDestinationCharacters('/srv/a;b|c&d>e<f*g?h~i%j'), [';', '|', '&', '>', '<', '*', '?', '~', '% (percent)'].map((c) => (c.length === 1 ? `"${c}" (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})` : c)));
  });

  it('refuses with a non-retryable InvalidDestination error saying what is accepted', () => {
    assert.throws(
      () => assertShellSafeDestination('/srv/restore/$(touch owned)'),
      (e: Error & { type?: string }) =>
        e.type === 'InvalidDestination' &&
        /^destination "\/srv\/restore\/\$\(touch owned\)" contains \$ \(dollar\), .*restore_command.*Use letters, digits and \. _ - \+ , @ = : \/ only/.test(e.message),
    );
  });
});
