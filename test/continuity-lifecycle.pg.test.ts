import { continuityLifecycleSuite } from './continuity-lifecycle.suite.js';

continuityLifecycleSuite('postgres');
