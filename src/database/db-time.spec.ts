import { isoFromDb } from './db-time';

describe('isoFromDb', () => {
  it.each([
    ['2025-01-15 08:00:00.123', '2025-01-15T08:00:00.123Z'],
    ['2025-01-15 08:00:00', '2025-01-15T08:00:00.000Z'],
    ['2025-01-15T08:00:00.123Z', '2025-01-15T08:00:00.123Z'],
    [new Date('2025-01-15T08:00:00.123Z'), '2025-01-15T08:00:00.123Z'],
    [null, null],
    [undefined, null],
  ])('%p → %p', (raw, iso) => {
    expect(isoFromDb(raw)).toBe(iso);
  });
});
