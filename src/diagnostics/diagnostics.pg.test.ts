import { diagnosticsSuite } from './diagnostics.suite.js';

diagnosticsSuite('postgres');
