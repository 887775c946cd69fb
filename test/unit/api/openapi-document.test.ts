import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiApp, type ApiApp } from '../../helpers/api-app.js';
import { officialSchemaProblems, openApiProblems, type OpenApiDocument } from '../../helpers/openapi-check.js';

describe('the OpenAPI document against the official OpenAPI 3.1 schema', () => {
  let api: ApiApp;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    api = await startApiApp();
    doc = (await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<OpenApiDocument>();
  });
  afterAll(() => api.close());

  it('validates, and every one of its schemas compiles as JSON Schema 2020-12', () => {
    expect(officialSchemaProblems(doc)).toEqual([]);
    expect(openApiProblems(doc)).toEqual([]);
  });

  it('the official check is not a rubber stamp: a document missing info, or with a bad response, fails it', () => {
    const { info: _info, ...noInfo } = doc;
    expect(officialSchemaProblems(noInfo).length).toBeGreaterThan(0);
    const [path, ops] = Object.entries(doc.paths)[0]!;
    const [method, op] = Object.entries(ops)[0]!;
    const broken = { ...doc, paths: { ...doc.paths, [path]: { ...ops, [method]: { ...op, responses: { '200': { content: {} } } } } } };
    expect(officialSchemaProblems(broken).length).toBeGreaterThan(0);
  });
});
