import { isValidLineSignature } from './webhook-signature';

describe('isValidLineSignature', () => {
  const body = Buffer.from('{"hello":"world"}');

  it("matches LINE's published known answer", () => {
    expect(isValidLineSignature(body, 'test_secret', 't7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM=')).toBe(
      true,
    );
  });

  it('refuses another secret, other bytes, and anything but the exact string', () => {
    const good = 't7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM=';
    expect(isValidLineSignature(body, 'other_secret', good)).toBe(false);
    expect(isValidLineSignature(Buffer.from('{"hello":"world" }'), 'test_secret', good)).toBe(false);
    expect(isValidLineSignature(body, 'test_secret', good.slice(0, -1))).toBe(false);
    expect(isValidLineSignature(body, 'test_secret', `${good}=`)).toBe(false);
    expect(isValidLineSignature(body, 'test_secret', '')).toBe(false);
    expect(isValidLineSignature(body, 'test_secret', undefined)).toBe(false);
    expect(isValidLineSignature(body, 'test_secret', [good, good])).toBe(false);
  });
});
