/** Migration 0007: snapshots of a deleted connection's inventory (connection deletion with archive). */
export interface ArchiveTables {
  connection_archives: ConnectionArchivesTable;
  connection_archive_rows: ConnectionArchiveRowsTable;
}

export interface ConnectionArchivesTable {
  tenant_id: string;
  id: string;
  connection_id: string;
  connection_name: string;
  connection_kind: string;
  counts_json: string;
  archived_at: string;
  archived_by: string;
}

export interface ConnectionArchiveRowsTable {
  tenant_id: string;
  archive_id: string;
  table_name: string;
  chunk: number;
  rows_json: string;
}
