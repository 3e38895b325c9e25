// Checks HTTP API exchanges against the hub's OpenAPI document (packages/server/src/http/openapi.ts) with a real
// JSON Schema 2020-12 validator: the response of every exchange, and the request of every one the hub accepted.
// TestHub.api runs every e2e test's API calls through it, error bodies and codes included.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openApiDocument } from '../../packages/server/src/http/openapi.ts';

const DOCUMENT = openApiDocument() as {
  paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(DOCUMENT, 'openapi');

const compiled = new Map<string, ValidateFunction>();
const pointerPart = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

/** The validator of the schema at a JSON pointer of the document. */
export function validatorAt(pointer: string): ValidateFunction {
  let v = compiled.get(pointer);
  if (v === undefined) {
    v = ajv.compile({ $ref: `openapi#${pointer}` });
    compiled.set(pointer, v);
  }
  return v;
}

export function schemaPointer(name: string): string {
  return `/components/schemas/${pointerPart(name)}`;
}

function check(pointer: string, value: unknown, what: string): void {
  const v = validatorAt(pointer);
  if (!v(value))
    throw new Error(
      `${what} does not match the OpenAPI document (${pointer}): ${ajv.errorsText(v.errors)}\n${JSON.stringify(value)}`,
    );
}

/**
 * Throws when an exchange with the hub's HTTP API disagrees with the OpenAPI document: a response whose status the
 * operation does not list or whose body does not match, or a request the hub accepted (2xx) that its schema
 * refuses. Paths the document does not describe must answer with its error shape.
 */
export function checkExchange(
  method: string,
  path: string,
  request: unknown,
  status: number,
  response: unknown,
): void {
  const operation = DOCUMENT.paths[path]?.[method.toLowerCase()];
  if (operation === undefined) {
    check(schemaPointer('Error'), response, `${method} ${path} → ${status}`);
    return;
  }
  const base = `/paths/${pointerPart(path)}/${method.toLowerCase()}`;
  if (!(String(status) in operation.responses))
    throw new Error(`${method} ${path} answered ${status}, a status the OpenAPI document does not list`);
  check(
    `${base}/responses/${status}/content/application~1json/schema`,
    response,
    `${method} ${path} → ${status}`,
  );
  if (status < 300 && operation.requestBody !== undefined)
    check(
      `${base}/requestBody/content/application~1json/schema`,
      request,
      `the request of ${method} ${path}`,
    );
}
