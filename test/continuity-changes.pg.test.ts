import { continuityChangesSuite } from './continuity-changes.suite.js';

continuityChangesSuite('postgres');
