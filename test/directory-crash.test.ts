import { directoryCrashSuite } from './directory-crash.suite.js';

directoryCrashSuite('sqlite', 12, { users: 5_000, groups: 500, memberships: 50_000 });
