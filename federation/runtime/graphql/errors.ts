/**
 * GraphQL errors in the API's vocabulary: `extensions.code` is the same snake_case
 * code the REST API would answer (`invalid_request`, `forbidden`, `not_found`,
 * `site_unreachable`, …) and `extensions.details` its details. Errors that are not
 * GraphQLErrors are masked by the server ("Unexpected error.").
 */
import { GraphQLError } from "graphql";
import type { z } from "zod";

export function graphError(code: string, message: string, details?: unknown): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...(details === undefined ? {} : { details }) } });
}

/** A zod failure on arguments as `invalid_request`, naming each bad argument as REST names fields. */
export function invalidArgs(error: z.ZodError): GraphQLError {
  return graphError("invalid_request", "the arguments are not valid", {
    fields: error.issues.map((i) => ({ path: ["args", ...i.path.map(String)].join("."), message: i.message })),
  });
}

/** Parses arguments with a zod schema, or throws `invalid_request`. */
export function parseArgs<S extends z.ZodType>(schema: S, args: unknown): z.infer<S> {
  const parsed = schema.safeParse(args);
  if (!parsed.success) throw invalidArgs(parsed.error);
  return parsed.data;
}
