/** HTML-escapes text for the docs page. */
const esc = (text: unknown): string => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Doc = { info?: { title?: string; version?: string; description?: string }; paths?: Record<string, Record<string, Operation>> };
type Operation = {
  'x-flashd-role'?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: unknown }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
};

/** A compact JSON Schema summary: type, enum, bounds. */
function brief(schema: unknown): string {
  if (!schema || typeof schema !== 'object') return '';
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.anyOf)) return (s.anyOf as unknown[]).map(brief).join(' | ');
  if ('const' in s) return JSON.stringify(s.const);
  const text = (value: unknown): string => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
  const bits = [text(s.type ?? 'object')];
  if (s.pattern) bits.push(`/${text(s.pattern)}/`);
  if (s.minimum !== undefined || s.maximum !== undefined) bits.push(`${text(s.minimum)}..${text(s.maximum)}`);
  if (s.maxLength !== undefined) bits.push(`≤${text(s.maxLength)} chars`);
  if (s.default !== undefined) bits.push(`default ${JSON.stringify(s.default)}`);
  return bits.join(' ');
}

/**
 * The OpenAPI document as one self-contained page: every path, its role, parameters, body and
 * answers. Written here rather than a viewer from a CDN: the bench has no internet.
 */
export function docsPage(doc: Doc): string {
  const sections = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const params = (op.parameters ?? [])
        .map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''}): ${esc(brief(p.schema))}</li>`)
        .join('');
      const body = Object.entries(op.requestBody?.content ?? {})
        .map(([type, c]) => `<details><summary>body ${esc(type)}</summary><pre>${esc(JSON.stringify(c.schema, null, 2))}</pre></details>`)
        .join('');
      const answers = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<li><code>${esc(status)}</code> ${esc(r.description ?? '')}</li>`)
        .join('');
      return `<section id="${esc(`${method}-${path}`)}"><h2><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code> <span class="r">${esc(op['x-flashd-role'] ?? '')}</span></h2>${params ? `<ul>${params}</ul>` : ''}${body}<ul>${answers}</ul></section>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info?.title ?? 'API')}</title>
<style>body{font:14px system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}h2{font-size:1rem;margin:1.5rem 0 .3rem}.m{display:inline-block;width:4.5rem;font-weight:700}.r{color:#555;font-weight:400;font-size:.85rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}section{border-top:1px solid #ddd}</style></head>
<body><h1>${esc(doc.info?.title ?? 'API')} ${esc(doc.info?.version ?? '')}</h1><p>${esc(doc.info?.description ?? '')}</p><p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1). Each path shows the least role it needs.</p>
${sections.join('\n')}</body></html>`;
}
