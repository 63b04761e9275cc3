// Loaded by mocha before any suite (.mocharc.json): the Temporal runtime logs warnings only, so
// test output stays readable. Runtime.install must come before any connection or worker.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
