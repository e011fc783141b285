import { errorMessage } from './datasource';

// What a person reads when the scope proxy refuses them, through Grafana's data proxy.
describe('errorMessage', () => {
  it('explains Grafana\'s 400 for an upstream 401 (Grafana never relays the 401 itself)', () => {
    const message = errorMessage({ status: 400, data: 'Authentication to data source failed' });
    expect(message).toMatch(/could not identify you to the scope proxy/);
    expect(message).toMatch(/shared secret/);
  });

  it('relays the proxy\'s own reason for a 403 (not in the policy, or a renamed login)', () => {
    const message = errorMessage({ status: 403, data: { status: 'error', error: 'user "mallory" is not in the policy' } });
    expect(message).toContain('user "mallory" is not in the policy');
    expect(message).toMatch(/add you to policy\/policy.yml and run access sync/);
  });

  it('keeps an ordinary 400 as the proxy said it', () => {
    expect(errorMessage({ status: 400, data: { error: 'parse error at char 3' } })).toBe('parse error at char 3');
  });
});
