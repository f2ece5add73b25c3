// Single sign-on (docs/api.md, "Sign-in and roles"): the sign-in page's providers and the admins' settings.
import { call } from './api.js';

export type SsoProvider = 'microsoft' | 'google';
export interface SsoOffer { id: SsoProvider; name: string; startUrl: string }
export interface SsoProviderView { provider: SsoProvider; enabled: boolean; clientId: string; directory: string | null; authority: string | null; hasClientSecret: boolean; updatedAt: string | null }
export interface SsoSettings { required: boolean; providers: Record<SsoProvider, SsoProviderView> }
export interface SsoProviderPatch { enabled?: boolean; clientId?: string; clientSecret?: string; directory?: string | null; authority?: string | null }

export const ssoApi = {
  offered: () => call<{ providers: SsoOffer[]; passwordSignIn: boolean }>('GET', '/auth/sso/providers'),
  settings: () => call<SsoSettings>('GET', '/sso/settings'),
  update: (body: { required?: boolean; providers?: Partial<Record<SsoProvider, SsoProviderPatch>> }) => call<SsoSettings>('PUT', '/sso/settings', body),
};
