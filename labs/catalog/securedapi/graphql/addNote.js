import { util } from '@aws-appsync/utils';

// Mutation.addNote: one PutItem. The author comes from the verified token, never from the arguments.
export function request(ctx) {
  return {
    operation: 'PutItem',
    key: util.dynamodb.toMapValues({ id: util.autoId() }),
    attributeValues: util.dynamodb.toMapValues({
      text: ctx.args.text,
      author: ctx.identity.username,
      createdAt: util.time.nowISO8601(),
    }),
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}
