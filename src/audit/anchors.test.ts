import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorLog, type AnchorRecord } from './anchors.js';

const head = (tenant: string, seq: number): AnchorRecord => ({ v: 1, type: 'head', tenant, seq, hash: String(seq).padStart(64, '0'), at: '2026-12-01T00:00:00.000Z', kid: 'k', mac: 'm' });

describe('audit anchor file', () => {
  it('appends one line per record, mode 0600, and reads them back incrementally', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sw-anchor-')), 'audit-anchors.jsonl');
    const log = anchorLog(path);
    expect(log.read()).toEqual({ records: [], unreadable: 0 });
    log.append(head('a', 1));
    log.append(head('b', 1));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(log.read().records.map((r) => `${r.tenant}${r.seq}`)).toEqual(['a1', 'b1']);
    // Another process appends (its own handle on the same file); a half-written last line waits for its end.
    anchorLog(path).append(head('a', 2));
    appendFileSync(path, '{"v":1,"type":"head","tenant":"a"');
    expect(log.read().records.map((r) => `${r.tenant}${r.seq}`)).toEqual(['a1', 'b1', 'a2']);
    appendFileSync(path, ',"seq":3,"hash":"h","at":"t","kid":"k","mac":"m"}\nnot json\n{"v":9}\n');
    const r = log.read();
    expect(r.records.map((x) => `${x.tenant}${x.seq}`)).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(r.unreadable).toBe(2);
  });

  it('compacts to the newest head per tenant and every checkpoint; archives aside', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sw-anchor-')), 'audit-anchors.jsonl');
    const log = anchorLog(path);
    for (let i = 1; i <= 5; i++) log.append(head('a', i));
    log.append({ v: 1, type: 'checkpoint', tenant: 'a', kind: 'retention', seq: 2, hash: 'h', at: 't', detail: null, kid: 'k', mac: 'm' });
    log.append(head('b', 9));
    log.compact();
    expect(log.read().records.map((r) => `${r.type}:${r.tenant}${r.seq}`)).toEqual(['checkpoint:a2', 'head:a5', 'head:b9']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const to = log.archive('2026-12-01');
    expect(to).toBe(`${path}.2026-12-01`);
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(to!, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    expect(log.read().records).toEqual([]);
    log.append(head('a', 6));
    expect(log.read().records.map((r) => `${r.tenant}${r.seq}`)).toEqual(['a6']);
    log.close();
  });

  it('a process keeps its file open and follows the path when another process moves the file away', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sw-anchor-')), 'audit-anchors.jsonl');
    const mine = anchorLog(path);
    mine.append(head('a', 1));
    const moved = anchorLog(path).archive('restored');
    // Within a second this process notices and writes to the new file, not the archived one.
    await new Promise((r) => setTimeout(r, 1_100));
    mine.append(head('a', 2));
    expect(readFileSync(moved!, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(anchorLog(path).read().records.map((r) => r.seq)).toEqual([2]);
    mine.close();
  });
});
