import { describe, expect, it } from 'vitest';
import { classify } from './reconcile.js';
import type { ItemRow } from '../store/sync-repo.js';

const row = (id: string, over: Partial<ItemRow> = {}): ItemRow => ({
  tenant_id: 't', id: `itm-${id}`, sync_user_id: 'su', source_item_id: id, source_folder_id: 'F', internet_message_id: `<${id}@x>`, destination_item_id: `d-${id}`,
  state: 'imported', subject: `Subject ${id}`, size: 10, error_json: null, created_at: '', updated_at: '', received_at: '2026-04-20T00:00:00Z',
  labels_json: null, state_json: null, draft_id: null, removed_at: null, deleted_at: null, attempts: 1, change_mark: null, ...over,
});

describe('reconciliation', () => {
  it('classifies every gap between source, ledger and destination', () => {
    const ledger = [
      row('ok'),
      row('failed', { state: 'failed', destination_item_id: null, error_json: JSON.stringify({ code: 'item.too_large', params: {} }) }),
      row('doubt', { state: 'pending', destination_item_id: null }),
      row('gone', { destination_item_id: 'd-gone' }),
      row('moved'),
      row('old', { received_at: '2026-01-01T00:00:00Z' }),
    ];
    const byId = new Map(ledger.map((r) => [r.source_item_id, r]));
    const byDest = new Map(ledger.filter((r) => r.destination_item_id).map((r) => [r.destination_item_id!, r]));
    const source = [{ id: 'ok' }, { id: 'failed' }, { id: 'doubt' }, { id: 'gone' }, { id: 'new' }];
    const v = classify(source, ledger, byId, byDest, ['d-ok', 'd-old', 'd-moved', 'd-native'], 'F', '2026-04-01T00:00:00Z');
    expect(v.source).toBe(5);
    expect(v.destination).toBe(4);
    expect(v.matched).toBe(1);
    expect(v.outsideWindow).toBe(1);
    expect(Object.fromEntries(v.gaps.map((g) => [g.class, g.count]))).toEqual({
      failed_item: 1, awaiting_sync: 1, in_doubt: 1, missing_in_destination: 1, changed_since_last_cycle: 1, extra_in_destination: 1,
    });
    expect(v.gaps.find((g) => g.class === 'failed_item')!.examples[0]!.code).toBe('item.too_large');
  });
});
