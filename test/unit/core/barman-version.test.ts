import assert from 'node:assert/strict';
import { barmanCapabilities, parseBarmanVersion } from '../../../src/core/barman-version';

describe('barman-version', () => {
  it('reads `barman --version` of Debian 12 and of PyPI', () => {
    assert.deepEqual(parseBarmanVersion('3.4.0 Barman by EnterpriseDB (www.enterprisedb.com)'), { major: 3, minor: 4, patch: 0 });
    assert.deepEqual(parseBarmanVersion('3.19.1 Barman by EnterpriseDB (www.enterprisedb.com)\n'), { major: 3, minor: 19, patch: 1 });
  });

  it('refuses a Barman older than 3.4 and output that names no version, saying what would do', () => {
    assert.throws(() => parseBarmanVersion('2.19 Barman by EnterpriseDB'), (e: Error & { type?: string }) => e.type === 'ToolMissing' && /is 2\.19\.0; restores need Barman 3\.4\.0 or newer.*PITR_BARMAN_BIN/.test(e.message));
    assert.throws(() => parseBarmanVersion('command not found'), /cannot tell the worker's Barman version: .*"command not found"/);
  });

  it('knows which backup.info fields, catalogue name and tools each version has', () => {
    const v34 = barmanCapabilities({ major: 3, minor: 4, patch: 0 });
    assert.equal(v34.backupInfoFields.has('children_backup_ids'), false);
    assert.equal(v34.backupInfoFields.has('snapshots_info'), true);
    assert.equal(v34.xlogdbFileName('pg'), 'xlog.db');
    assert.equal(v34.needsFileCommand, false);
    assert.equal(v34.gzipIsExternalProcess, true);

    const v311 = barmanCapabilities({ major: 3, minor: 11, patch: 0 });
    assert.equal(v311.backupInfoFields.has('parent_backup_id'), true);
    assert.equal(v311.backupInfoFields.has('encryption'), false);

    const v313 = barmanCapabilities({ major: 3, minor: 13, patch: 0 });
    assert.equal(v313.xlogdbFileName('pg'), 'pg-xlog.db');
    assert.equal(v313.hasXlogdbDirectorySetting, true);
    assert.equal(v313.needsFileCommand, false);

    const v319 = barmanCapabilities({ major: 3, minor: 19, patch: 1 });
    assert.equal(v319.backupInfoFields.has('encryption'), true);
    assert.equal(v319.backupInfoFields.size, 35);
    assert.equal(v319.needsFileCommand, true);
    assert.equal(v319.gzipIsExternalProcess, false);
    assert.equal(barmanCapabilities({ major: 3, minor: 15, patch: 0 }).gzipIsExternalProcess, true);
    assert.equal(barmanCapabilities({ major: 4, minor: 0, patch: 0 }).xlogdbFileName('db1'), 'db1-xlog.db');
  });
});
