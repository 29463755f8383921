/**
 * graphql-yoga as every Worker here runs it: created once per isolate (by the
 * caller, at module level or on first use) with the Worker's `env` and the caller's
 * viewer passed per request as context; error masking on; GraphQL over HTTP as
 * yoga implements it (GET and POST, content negotiation, status codes); no
 * GraphiQL or landing page (nothing may load from a CDN); the query limits; and
 * errors that a resolver records beside its data (a site that did not answer)
 * added to the answer.
 */
import { createYoga, type Plugin, type YogaServerInstance, type YogaServerOptions } from "graphql-yoga";
import { GraphQLError } from "graphql";
import { DEFAULT_LIMITS, limitsRule, maxNesting, nestingOf, operationCost, type QueryLimits } from "../../../federation/runtime/graphql/limits.ts";
import type { Meter } from "./meter.ts";

/** Errors recorded beside data: the field still answers (with what it has), the error names what is missing. */
export interface SideErrors {
  sideErrors: GraphQLError[];
}

/** A request whose cost is spent from its caller's budget (budget.ts); without a meter nothing is counted. */
export interface Metered {
  meter?: Meter;
}

export function useLimits(limits: QueryLimits = DEFAULT_LIMITS): Plugin {
  const rule = limitsRule(limits);
  const deepest = maxNesting(limits);
  return {
    // Before parsing: a document nested thousands deep would overflow graphql-js's recursive parser.
    onParams: ({ params, setResult }) => {
      const nesting = typeof params.query === "string" ? nestingOf(params.query) : 0;
      if (nesting > deepest) {
        setResult({
          errors: [
            new GraphQLError(`the operation nests ${nesting} levels; at most ${deepest} before it is read`, {
              extensions: { code: "query_too_deep", details: { nesting, maxNesting: deepest }, http: { status: 400 } },
            }),
          ],
        });
      }
    },
    onValidate: ({ addValidationRule }) => addValidationRule(rule),
    // When it starts: the cost with the operation's variables, refused over the limits, then spent from the caller's budget.
    onExecute: async ({ args, setResultAndStopExecution }) => {
      const measured = operationCost(args.schema, args.document, args.operationName, args.variableValues as Record<string, unknown> | undefined, limits);
      if (measured.errors.length > 0) {
        setResultAndStopExecution({ errors: measured.errors });
        return;
      }
      // Every operation spends something, the free ones (introspection) included.
      const refusal = await (args.contextValue as Metered).meter?.spend(Math.max(1, measured.cost));
      if (refusal) {
        // The Worker answers the meter's refusal in the API's error shape instead (serveMetered); this stands for it in GraphQL's.
        setResultAndStopExecution({
          errors: [
            new GraphQLError(refusal.message, {
              extensions: { code: refusal.code, details: refusal.details, http: { status: refusal.status, headers: refusal.headers } },
            }),
          ],
        });
      }
    },
  };
}

/**
 * Answers a request with `server`, spending from `meter`: a refusal is thrown as the
 * API's error (429 with Retry-After, in `{ error }`), as the transport refuses a token,
 * rather than as a GraphQL result.
 */
export async function serveMetered<C extends Metered & AnyContext>(server: GraphServer<C>, request: Request, context: C & { meter: Meter }): Promise<Response> {
  const response = await server.fetch(request, context);
  if (context.meter.refusal) throw context.meter.refusal;
  return response;
}

/** Appends the errors resolvers recorded in `context.sideErrors` to the result. */
export function useSideErrors(): Plugin {
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result, setResult }) => {
        const extra = (args.contextValue as Partial<SideErrors>).sideErrors;
        if (!extra?.length || Symbol.asyncIterator in result) return;
        setResult({ ...result, errors: [...(result.errors ?? []), ...extra] });
      },
    }),
  };
}

/** yoga's own constraint on contexts. */
type AnyContext = Record<string, any>;
export type GraphServer<TServerContext extends AnyContext, TUserContext extends AnyContext = AnyContext> = YogaServerInstance<TServerContext, TUserContext>;

export function graphServer<TServerContext extends AnyContext, TUserContext extends AnyContext = AnyContext>(
  options: Pick<YogaServerOptions<TServerContext, TUserContext>, "schema" | "context" | "graphqlEndpoint"> & {
    limits?: QueryLimits;
    plugins?: Plugin[];
  },
): GraphServer<TServerContext, TUserContext> {
  return createYoga<TServerContext, TUserContext>({
    schema: options.schema,
    context: options.context,
    graphqlEndpoint: options.graphqlEndpoint ?? "/graphql",
    maskedErrors: true,
    graphiql: false,
    landingPage: false,
    multipart: false,
    // Bearer tokens, no cookies: a browser console on another origin is not a use case yet.
    cors: false,
    logging: "warn",
    // The Worker's app refuses a body over its limit before yoga sees it (workerApp's bodyLimit, 413 in the API's
    // shape): yoga's own 25 MB limit would only pipe every body through a TransformStream, which costs a query ~0.1 ms.
    maxRequestBodySize: false,
    plugins: [useLimits(options.limits), useSideErrors(), ...(options.plugins ?? [])],
  });
}
