import { directoryCrashSuite } from './directory-crash.suite.js';

// Smaller than the SQLite tenant: a full pass that rewrites changed pages is slower on PostgreSQL.
directoryCrashSuite('postgres', 6, { users: 3_000, groups: 300, memberships: 30_000 });
