import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.js';
import type { CheckResult } from '../connectors/sdk/index.js';
import { mergeFindings, type DoctorObservations } from './merge.js';

const pass = (id: string): CheckResult => ({ id, label: id, status: 'pass' });
const fail = (id: string, code: ConstructorParameters<typeof AppError>[0], params = {}): CheckResult => ({ id, label: id, status: 'fail', error: new AppError(code, params).toJSON() });
const skip = (id: string): CheckResult => ({ id, label: id, status: 'skipped', detail: 'needs the one before' });

function obs(over: Partial<DoctorObservations>): DoctorObservations {
  return { preflight: [], providerRuns: [[]], superseded: [], propagating: [], provider: 'Example', throttled: 0, requests: 3, skewSeconds: 0, ...over };
}
const statuses = (fs: CheckResult[]) => fs.map((f) => `${f.id}:${f.status}${f.error ? `:${f.error.code}` : ''}`);

describe('merging the doctor\'s observations', () => {
  it('drops connector checks the pre-flight already answered', () => {
    const r = mergeFindings(obs({ preflight: [pass('credential')], providerRuns: [[pass('credential'), pass('token')]], superseded: ['credential'] }));
    expect(statuses(r)).toEqual(['credential:pass', 'token:pass', 'clock:pass']);
  });

  it('turns a throttled check into a warning, and names unseen throttling once', () => {
    const r = mergeFindings(obs({ providerRuns: [[pass('token'), fail('api', 'sync.rate_limited', { provider: 'Example' })]], throttled: 2 }));
    expect(statuses(r)).toEqual(['token:pass', 'api:warning:sync.rate_limited', 'clock:pass']);
    const retried = mergeFindings(obs({ providerRuns: [[pass('token'), pass('api')]], throttled: 1, requests: 4 }));
    expect(statuses(retried)).toEqual(['token:pass', 'api:pass', 'throttling:warning:sync.rate_limited', 'clock:pass']);
  });

  it('a clock more than 5 minutes off fails, and the sign-in failures it causes are not trusted', () => {
    const r = mergeFindings(obs({ providerRuns: [[fail('token', 'm365.certificate_not_registered'), skip('api')]], skewSeconds: 601 }));
    expect(statuses(r)).toEqual(['token:skipped', 'api:skipped', 'clock:fail:doctor.clock_skew']);
    expect(statuses(mergeFindings(obs({ skewSeconds: -90 })))).toEqual(['clock:warning:doctor.clock_skew']);
    expect(statuses(mergeFindings(obs({ skewSeconds: null })))).toEqual([]);
  });

  it('a failure that a later attempt does not reproduce is a change still propagating', () => {
    const first = [pass('token'), fail('delegation:a', 'google.delegation_missing'), skip('api')];
    const second = [pass('token'), pass('delegation:a'), pass('api')];
    const r = mergeFindings(obs({ providerRuns: [first, second, first], propagating: ['google.delegation_missing'] }));
    expect(statuses(r)).toEqual(['token:pass', 'delegation:a:warning:doctor.change_propagating', 'api:pass', 'clock:pass']);
    expect(r[1]!.error!.params).toMatchObject({ failed: 2, attempts: 3 });
  });

  it('a failure every attempt reproduces stays a failure', () => {
    const first = [pass('token'), fail('delegation:a', 'google.delegation_missing'), skip('api')];
    const r = mergeFindings(obs({ providerRuns: [first, first, first], propagating: ['google.delegation_missing'] }));
    expect(statuses(r)).toEqual(['token:pass', 'delegation:a:fail:google.delegation_missing', 'api:skipped', 'clock:pass']);
  });

  it('one clock finding: the doctor\'s own replaces the connector\'s clock check when it has a sample', () => {
    const connector = [pass('credential'), { id: 'clock', label: 'clock', status: 'warning' as const, error: new AppError('aws.clock_skew', { detail: 'x' }).toJSON() }];
    const r = mergeFindings(obs({ providerRuns: [connector], skewSeconds: -400, clockChecks: ['clock'], clockFailSeconds: 900 }));
    // AWS signs with a 15-minute window: 400 s is a warning there, not a failure.
    expect(statuses(r)).toEqual(['credential:pass', 'clock:warning:doctor.clock_skew']);
    // Without a Date header to compare, the connector's own clock check stays.
    expect(statuses(mergeFindings(obs({ providerRuns: [connector], skewSeconds: null, clockChecks: ['clock'] })))).toEqual(['credential:pass', 'clock:warning:aws.clock_skew']);
  });

  it('a bearer-token provider only warns about the clock, however far off', () => {
    expect(statuses(mergeFindings(obs({ skewSeconds: 3600, clockFailSeconds: null })))).toEqual(['clock:warning:doctor.clock_skew']);
    expect(statuses(mergeFindings(obs({ skewSeconds: 1000, clockFailSeconds: 900 })))).toEqual(['clock:fail:doctor.clock_skew']);
  });

  it('a throttled check says that Syncwarden retries automatically', () => {
    const r = mergeFindings(obs({ providerRuns: [[fail('list:users', 'scim.throttled', { baseUrl: 'https://x' })]], throttled: 2 }));
    expect(statuses(r)).toEqual(['list:users:warning:scim.throttled', 'clock:pass']);
    expect(r[0]!.detail).toContain('retries automatically');
  });
});
