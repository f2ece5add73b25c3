import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { readBody, sendJson } from '../http.js';
import type { Customer } from './customer.js';
import type { GoogleSim } from './sim.js';
import { customerOfDomain, domainOf } from './world.js';

/** One request to the Google part of the sandbox admin API (under /google/ on the admin origin). */
export interface AdminRequest {
  readonly sim: GoogleSim;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** Path segments after /google/, decoded. */
  readonly parts: readonly string[];
  readonly url: URL;
}

export type AdminHandler = (a: AdminRequest) => Promise<boolean>;

/** The body parsed by `schema`; answers 400 and returns undefined when it does not fit. */
export async function parsed<T extends z.ZodType>(a: AdminRequest, schema: T, maxBytes = 1 << 20): Promise<z.infer<T> | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse((await readBody(a.req, maxBytes)).toString('utf8') || '{}');
  } catch {
    sendJson(a.res, 400, { error: `the body is not JSON (or larger than ${maxBytes >= 1 << 20 ? `${maxBytes / (1 << 20)} MB` : `${maxBytes} bytes`})` });
    return undefined;
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    sendJson(a.res, 400, { error: r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    return undefined;
  }
  return r.data as z.infer<T>;
}

export function fail(a: AdminRequest, status: number, error: string): true {
  sendJson(a.res, status, { error });
  return true;
}

export function ok(a: AdminRequest, status: number, body: unknown): true {
  sendJson(a.res, status, body);
  return true;
}

/** The customer named by a domain (or owning an email's domain); the demo customer when none is named. */
export function customerFor(a: AdminRequest, domainOrEmail: string | null | undefined): Customer | undefined {
  if (!domainOrEmail) return a.sim.world.customers.get(a.sim.world.customerId);
  return customerOfDomain(a.sim.world, domainOrEmail.includes('@') ? domainOf(domainOrEmail) : domainOrEmail);
}
