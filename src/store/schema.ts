/**
 * Table types for Kysely. Portable across SQLite and PostgreSQL: ids are app-generated text,
 * timestamps are ISO-8601 UTC text (sortable), JSON is text, booleans are integers 0/1,
 * counters are 32-bit integers. No serial columns.
 */
import type { CoreTables } from './tables/core.js';
import type { ContinuityTables } from './tables/continuity.js';
import type { DiagnosticsTables } from './tables/diagnostics.js';
import type { DirectoryTables } from './tables/directory.js';
import type { KeysAuditTables } from './tables/keys-audit.js';
import type { FailoverTables } from './tables/failover.js';
import type { ArchiveTables } from './tables/archives.js';
import type { AuthTables } from './tables/auth.js';
import type { IdentityTypeTables } from './tables/identity-types.js';
import type { SsoTables } from './tables/sso.js';
import type { CampaignTables } from './tables/campaigns.js';

export type * from './tables/core.js';
export type * from './tables/continuity.js';
export type * from './tables/diagnostics.js';
export type * from './tables/directory.js';
export type * from './tables/keys-audit.js';
export type * from './tables/failover.js';
export type * from './tables/archives.js';
export type * from './tables/auth.js';
export type * from './tables/identity-types.js';
export type * from './tables/sso.js';
export type * from './tables/campaigns.js';

/** One interface per area under tables/ (so areas add tables without touching each other). */
export interface Database extends CoreTables, ContinuityTables, DiagnosticsTables, DirectoryTables, KeysAuditTables, FailoverTables, ArchiveTables, AuthTables, IdentityTypeTables, SsoTables, CampaignTables {}
