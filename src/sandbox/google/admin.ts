import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, sendJson } from '../http.js';
import { userResource } from './directory.js';
import { messagesForAdmin } from './gmail.js';
import { newStats } from './quotas.js';
import type { GoogleSim } from './sim.js';
import { addUser, domainOf, findUser } from './world.js';

/**
 * The Google part of the sandbox admin API (under /google/ on the admin origin): inspect
 * users and mailboxes, pre-create users, tune quotas, read counters.
 */
const newUserSchema = z.object({ primaryEmail: z.email(), givenName: z.string().min(1), familyName: z.string().min(1), isAdmin: z.boolean().optional() });
const quotasSchema = z
  .object({
    userUnitsPerMinute: z.number().int().positive(),
    projectUnitsPerMinute: z.number().int().positive(),
    userConcurrency: z.number().int().positive(),
    directoryQueriesPerMinute: z.number().int().positive(),
    newUserMailDelayMs: z.number().int().min(0),
  })
  .partial();

export function googleAdmin(sim: GoogleSim) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (!path.startsWith('/google/')) return false;
    const method = req.method ?? 'GET';
    const m = /^\/google\/users\/([^/]+)\/(messages|labels)$/.exec(path);
    if (method === 'GET' && path === '/google/users') {
      sendJson(res, 200, { users: [...sim.world.users.values()].map((u) => userResource(sim, u)) });
      return true;
    }
    if (method === 'POST' && path === '/google/users') {
      const parsed = newUserSchema.safeParse(await json(req));
      if (!parsed.success) {
        sendJson(res, 400, { error: parsed.error.message });
        return true;
      }
      const b = parsed.data;
      if (findUser(sim.world, b.primaryEmail)) {
        sendJson(res, 409, { error: `user ${b.primaryEmail} exists` });
        return true;
      }
      if (!sim.world.domains.includes(domainOf(b.primaryEmail))) {
        sendJson(res, 400, { error: `domain of ${b.primaryEmail} is not the customer's` });
        return true;
      }
      const user = addUser(sim.world, {
        id: `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`,
        primaryEmail: b.primaryEmail,
        givenName: b.givenName,
        familyName: b.familyName,
        isAdmin: b.isAdmin ?? false,
        creationTime: sim.now(),
      });
      sendJson(res, 201, userResource(sim, user));
      return true;
    }
    if (method === 'GET' && m) {
      const user = findUser(sim.world, decodeURIComponent(m[1]!));
      if (!user) {
        sendJson(res, 404, { error: `no Google user ${m[1]}` });
        return true;
      }
      if (m[2] === 'messages') sendJson(res, 200, { messages: messagesForAdmin(user) });
      else sendJson(res, 200, { labels: [...user.mailbox.labels.values()] });
      return true;
    }
    if (path === '/google/quotas' && (method === 'POST' || method === 'GET')) {
      if (method === 'POST') {
        const parsed = quotasSchema.safeParse(await json(req));
        if (!parsed.success) {
          sendJson(res, 400, { error: parsed.error.message });
          return true;
        }
        Object.assign(sim.world.quotas, parsed.data);
        // New limits start from a clean window, so a test's small quota means what it says.
        sim.windows.reset();
      }
      sendJson(res, 200, { quotas: sim.world.quotas });
      return true;
    }
    if (path === '/google/stats') {
      if (method === 'DELETE') sim.stats = newStats();
      sendJson(res, 200, sim.stats);
      return true;
    }
    return false;
  };
}

async function json(req: IncomingMessage): Promise<unknown> {
  try {
    return JSON.parse((await readBody(req, 1 << 20)).toString('utf8') || '{}');
  } catch {
    return undefined;
  }
}

