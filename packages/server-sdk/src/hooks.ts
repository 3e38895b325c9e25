import type { HookName, HookRequest, HookResults } from '@switchboard/protocol';

export type {
  ConnectHookRequest,
  ConnectHookResult,
  HookName,
  HookRequest,
  PublishHookRequest,
  PublishHookResult,
  RefreshHookRequest,
  RefreshHookResult,
  RpcHookRequest,
  RpcHookResult,
  SubscribeHookRequest,
  SubscribeHookResult,
} from '@switchboard/protocol';

/** A refusal: the client gets `forbidden` with `message`, and keeps its connection (but for connect). */
export class HookDenial {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** Refuses the action, with a message for the client. */
export function deny(message: string): HookDenial {
  return new HookDenial(message);
}

type RequestOf<H extends HookName> = Extract<HookRequest, { hook: H }>;

/**
 * A proxy hook endpoint as a plain `(Request) => Promise<Response>` (any framework, or none: Node's
 * `http` through an adapter, Deno.serve, Bun.serve, edge functions). `decide` gets the typed hook request (and
 * the HTTP request, for forwarded headers such as cookies) and returns the result, or `deny(message)`. A
 * request that is not this hook's gets 400; `decide` throwing gets 500, which the hub treats as a failing
 * backend (the action is refused, fail-closed).
 */
export function hookHandler<H extends HookName>(
  hook: H,
  decide: (
    body: RequestOf<H>,
    request: Request,
  ) => Promise<HookResults[H] | HookDenial> | HookResults[H] | HookDenial,
): (request: Request) => Promise<Response> {
  return async (request) => {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return json(400, { error: { message: 'expected a JSON body' } });
    }
    if ((body as { hook?: unknown } | null)?.hook !== hook)
      return json(400, { error: { message: `expected a ${hook} hook request` } });
    try {
      const answer = await decide(body as RequestOf<H>, request);
      return answer instanceof HookDenial
        ? json(200, { error: { message: answer.message } })
        : json(200, { result: answer });
    } catch {
      return json(500, { error: { message: 'the hook failed' } });
    }
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
