import { createContext, useContext } from 'react';
import type { Me } from '../auth-api.js';

/** The signed-in person, their role and its permissions (GET /auth/me), for every page. */
export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in app');
  return me;
}
