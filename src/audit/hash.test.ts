import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalV2, checkpointMac, hashOf, headMac, macMatches, uncoveredColumns } from './hash.js';

const v2 = {
  tenant_id: 'default', id: 'aud_1', seq: 7, at: '2026-12-01T10:00:00.000Z', severity: 'info', action: 'connection.tested', actor: 'admin',
  target_type: 'connection', target_id: 'conn_1', target_name: 'Contoso', message: 'Connection test successful', code: null, params_json: null,
  prev_hash: 'a'.repeat(64), hash_version: 2, hash: 'ignored', mac_kid: 'ignored', mac: 'ignored',
};

describe('audit hash forms', () => {
  it('form 2 covers every column by name, leaves out null ones and the hash and MAC', () => {
    const base = hashOf(v2);
    expect(hashOf({ ...v2, hash: 'x', mac: 'y', mac_kid: 'z' })).toBe(base);
    // A column added later (the actor's address, say): null changes nothing, a value changes the hash.
    expect(hashOf({ ...v2, actor_address: null })).toBe(base);
    expect(hashOf({ ...v2, actor_address: '10.0.0.7' })).not.toBe(base);
    expect(canonicalV2({ b: 1, a: 'x' })).toBe(canonicalV2({ a: 'x', b: 1 }));
    for (const [k, v] of Object.entries({ message: 'changed', seq: 8, severity: 'error', prev_hash: 'b'.repeat(64), actor: 'someone', code: 'audit.entry_altered' })) {
      expect(hashOf({ ...v2, [k]: v }), k).not.toBe(base);
    }
    // Values cannot slide between columns.
    expect(hashOf({ ...v2, target_id: 'conn_1', target_name: 'Contoso' })).not.toBe(hashOf({ ...v2, target_id: 'Contoso', target_name: 'conn_1' }));
    // PostgreSQL's bigint strings are not audit columns: they would hash differently per database.
    expect(() => hashOf({ ...v2, flag: true })).toThrow(/text or integers/);
  });

  it('form 1 (entries from before 0012) hashes its fixed columns exactly as it always did', () => {
    const v1 = { ...v2, hash_version: null };
    const expected = JSON.stringify([v1.tenant_id, v1.id, v1.seq, v1.at, v1.severity, v1.action, v1.actor, v1.target_type, v1.target_id, v1.target_name, v1.message, v1.code, v1.params_json, v1.prev_hash]);
    expect(hashOf(v1)).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(uncoveredColumns(v1)).toEqual([]);
    expect(uncoveredColumns({ ...v1, actor_address: '10.0.0.7' })).toEqual(['actor_address']);
    expect(uncoveredColumns({ ...v2, actor_address: '10.0.0.7' })).toEqual([]);
  });

  it('MACs bind tenant, seq and hash, and checkpoints their kind and detail', () => {
    const key = randomBytes(32);
    const m = headMac(key, 'default', 7, 'a'.repeat(64));
    expect(macMatches(m, headMac(key, 'default', 7, 'a'.repeat(64)))).toBe(true);
    expect(macMatches(m, headMac(key, 'other', 7, 'a'.repeat(64)))).toBe(false);
    expect(macMatches(m, headMac(key, 'default', 8, 'a'.repeat(64)))).toBe(false);
    expect(macMatches(m, headMac(randomBytes(32), 'default', 7, 'a'.repeat(64)))).toBe(false);
    expect(macMatches(m, null)).toBe(false);
    const c = { tenantId: 'default', kind: 'retention', seq: 10, hash: 'b'.repeat(64), at: '2026-12-01T00:00:00.000Z', detailJson: '{"days":90}' };
    expect(checkpointMac(key, c)).not.toBe(checkpointMac(key, { ...c, kind: 'legacy' }));
    expect(checkpointMac(key, c)).not.toBe(checkpointMac(key, { ...c, detailJson: '{"days":30}' }));
  });
});
