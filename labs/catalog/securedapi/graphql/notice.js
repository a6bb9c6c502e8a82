// Query.notice: a NONE data source; the answer is computed here, no database involved.
export function request(ctx) {
  return { payload: { message: 'The notes service is up. Sign in to read and write notes.' } };
}

export function response(ctx) {
  return ctx.result;
}
