import { describe, expect, it } from 'vitest';
import { incidentReminderIndex } from './reminders.js';

const H = 3_600_000;

describe('incident reminder cadence', () => {
  it('decays: 1 h, 4 h, 24 h, then daily', () => {
    expect(incidentReminderIndex(59 * 60_000)).toBe(0);
    expect(incidentReminderIndex(1 * H)).toBe(1);
    expect(incidentReminderIndex(3.9 * H)).toBe(1);
    expect(incidentReminderIndex(4 * H)).toBe(2);
    expect(incidentReminderIndex(23 * H)).toBe(2);
    expect(incidentReminderIndex(24 * H)).toBe(3);
    expect(incidentReminderIndex(47 * H)).toBe(3);
    expect(incidentReminderIndex(48 * H)).toBe(4);
    expect(incidentReminderIndex(24 * 10 * H)).toBe(12);
  });
});
