import pg from 'pg';

/** The PostgreSQL of this machine and CI (trust auth), unless DATABASE_URL says otherwise. */
export const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

async function query(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** A private schema in the PostgreSQL database, and a URL whose search_path points at it. */
export async function pgUrlWithSchema(prefix = 't'): Promise<{ url: string; schema: string }> {
  const schema = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await query(`CREATE SCHEMA ${schema}`);
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), schema };
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
