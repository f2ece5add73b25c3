import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteInput, RouteSpec } from '../route.js';
import { roleHas } from '../../auth/permissions.js';
import { decide, decideBody, listReviews, myCampaigns, reassign, reassignBodyDoc, reassignTargets, reviewItem, reviewsQuery, type Reviewer } from '../../campaigns/reviews.js';

const itemParams = z.object({ itemId: z.string().min(1) });
const asQuery = z.object({ as: z.enum(['admin']).optional() });

function reviewer(input: RouteInput): Reviewer {
  const p = input.principal!;
  return { userId: p.userId, actor: input.actor, admin: roleHas(p.role, 'campaigns.manage') };
}

/** My reviews (issue 13): each signed-in person's own review items, decisions and reassignments. */
export function reviewRoutes(rt: Runtime): RouteSpec[] {
  const tag = 'Certifications';
  return [
    { method: 'GET', url: '/reviews', permission: 'reviews.own', tag, summary: 'My review items (only the caller\'s), filterable, grouped by person or resource, keyset-paged; with counts and the overdue/escalation banner', query: reviewsQuery, handler: (i) => listReviews(rt, i.tenantId, reviewer(i), i.query as z.infer<typeof reviewsQuery>) },
    { method: 'GET', url: '/reviews/campaigns', permission: 'reviews.own', tag, summary: 'The campaigns I have review items in: name, status, stage, deadline and my own progress (never other reviewers\' items)', handler: (i) => myCampaigns(rt, i.tenantId, i.principal!.userId) },
    { method: 'GET', url: '/reviews/reviewers', permission: 'reviews.own', tag, summary: 'People an item can be reassigned to', handler: ({ tenantId }) => reassignTargets(rt, tenantId) },
    { method: 'POST', url: '/reviews/decide', permission: 'reviews.own', tag, summary: 'Approve, revoke or accept the recommendation on items by id or by filter (only the caller\'s items of open stages)', query: asQuery, body: decideBody, handler: (i) => decide(rt, i.tenantId, reviewer(i), i.body, i.query['as'] === 'admin') },
    { method: 'GET', url: '/reviews/:itemId', permission: 'reviews.own', tag, summary: 'One of my review items with its history', params: itemParams, query: asQuery, handler: (i) => reviewItem(rt, i.tenantId, reviewer(i), i.params['itemId']!, i.query['as'] === 'admin') },
    { method: 'POST', url: '/reviews/:itemId/reassign', permission: 'reviews.own', tag, summary: 'Reassign one of my items to another person, with a note (required)', params: itemParams, query: asQuery, body: reassignBodyDoc, handler: (i) => reassign(rt, i.tenantId, reviewer(i), i.params['itemId']!, i.body, i.query['as'] === 'admin') },
  ];
}
