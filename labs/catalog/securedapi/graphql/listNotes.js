import { util } from '@aws-appsync/utils';

// Query.listNotes: a Scan of at most 50 notes (fine for a small table; a real app queries an index).
export function request(ctx) {
  return { operation: 'Scan', limit: 50 };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result.items;
}
