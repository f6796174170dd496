/**
 * A job type's params JSON Schema (GET /api/job-types) as form fields, the raw inputs as
 * params, and inline validation. The validator covers what the fields can produce (type,
 * required, enum, minimum/maximum, exclusive bounds, minLength/maxLength, pattern,
 * minItems/maxItems) and is written here rather than taken from ajv: ajv compiles
 * schemas with `new Function`, which the dashboard's Content-Security-Policy forbids
 * (no 'unsafe-eval'). The server validates again and its issues are mapped onto the
 * same fields, so anything this misses still lands next to its field.
 */
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
};

export type FieldKind =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'enum'
  | 'string-array'
  | 'json';

export interface Field {
  key: string;
  kind: FieldKind;
  label: string;
  description: string | undefined;
  required: boolean;
  schema: JsonSchema;
  enumValues: unknown[] | undefined;
  /** The raw input value a fresh form starts with (the default, if any). */
  initial: string | boolean;
  /** Whether the field can be a grid axis (a scalar: string, number, integer, enum). */
  axis: boolean;
}

function typeOf(s: JsonSchema): string | undefined {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  return t;
}

function kindOf(s: JsonSchema): FieldKind {
  if (Array.isArray(s.enum) && s.enum.length > 0) return 'enum';
  const t = typeOf(s);
  if (t === 'string' || t === 'number' || t === 'integer' || t === 'boolean') return t;
  if (t === 'array' && s.items && typeOf(s.items) === 'string' && !s.items.enum)
    return 'string-array';
  return 'json';
}

/** An enum value as its <option> value: strings as they are, anything else as JSON. */
export function enumLabel(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The raw (input) form of a value for a field of this kind. */
export function toRaw(kind: FieldKind, value: unknown): string | boolean {
  if (value === undefined) return kind === 'boolean' ? false : '';
  switch (kind) {
    case 'boolean':
      return value === true;
    case 'string-array':
      return Array.isArray(value) ? value.join(', ') : '';
    case 'json':
      return JSON.stringify(value, null, 2);
    case 'enum':
      return enumLabel(value);
    default:
      return String(value);
  }
}

export function fieldsOf(schema: JsonSchema | null | undefined): Field[] {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  return Object.entries(props).map(([key, s]) => {
    const kind = kindOf(s);
    return {
      key,
      kind,
      label: s.title ?? key,
      description: s.description,
      // A field with a default need not be filled in.
      required: required.has(key) && s.default === undefined,
      schema: s,
      enumValues: kind === 'enum' ? s.enum : undefined,
      initial: toRaw(kind, s.default),
      axis: kind === 'string' || kind === 'number' || kind === 'integer' || kind === 'enum',
    };
  });
}

export type Parsed =
  | { ok: true; value: unknown }
  | { ok: false; error: string }
  | { ok: true; empty: true };

/** One raw input as a value of its field's type (empty: not given). */
export function parseRaw(field: Field, raw: string | boolean): Parsed {
  if (field.kind === 'boolean') return { ok: true, value: raw === true };
  const text = String(raw).trim();
  if (text === '') return { ok: true, empty: true };
  switch (field.kind) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      if (!Number.isFinite(n)) return { ok: false, error: 'must be a number' };
      return { ok: true, value: n };
    }
    case 'string-array':
      return {
        ok: true,
        value: text
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== ''),
      };
    case 'enum': {
      const values = field.enumValues ?? [];
      const at = values.findIndex((e) => enumLabel(e) === text);
      return at < 0
        ? { ok: false, error: `must be one of ${values.map(enumLabel).join(', ')}` }
        : { ok: true, value: values[at] };
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch {
        return { ok: false, error: 'must be valid JSON' };
      }
    default:
      return { ok: true, value: String(raw) };
  }
}

/** What is wrong with `value` by `schema`, or undefined. */
export function checkValue(schema: JsonSchema, value: unknown): string | undefined {
  if (schema.anyOf) {
    const errors = schema.anyOf.map((s) => checkValue(s, value));
    return errors.some((e) => e === undefined) ? undefined : errors[0];
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    return `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    return `must be ${JSON.stringify(schema.const)}`;
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 0 && !types.some((t) => isType(t, value)))
    return `must be ${types.join(' or ')}`;
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      return `must be ≥ ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum)
      return `must be ≤ ${schema.maximum}`;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      return `must be > ${schema.exclusiveMinimum}`;
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum)
      return `must be < ${schema.exclusiveMaximum}`;
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      return schema.minLength === 1
        ? 'is required'
        : `needs at least ${schema.minLength} characters`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      return `takes at most ${schema.maxLength} characters`;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      return `must match ${schema.pattern}`;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      return `needs at least ${schema.minItems} items`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      return `takes at most ${schema.maxItems} items`;
    if (schema.items) {
      for (let i = 0; i < value.length; i++) {
        const e = checkValue(schema.items, value[i]);
        if (e) return `item ${i + 1} ${e}`;
      }
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && schema.properties) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) return `needs \`${r}\``;
    for (const [k, s] of Object.entries(schema.properties)) {
      if (k in obj) {
        const e = checkValue(s, obj[k]);
        if (e) return `${k} ${e}`;
      }
    }
  }
  return undefined;
}

function isType(t: string, v: unknown): boolean {
  switch (t) {
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'null':
      return v === null;
    default:
      return true;
  }
}

export interface FormResult {
  params: Record<string, unknown>;
  errors: Record<string, string>;
}

/**
 * The params of a form and its field errors. Fields that are grid axes are left out of
 * the params (each job gets its value from the grid) and not required here.
 */
export function readForm(
  fields: readonly Field[],
  raws: Record<string, string | boolean>,
  axes: ReadonlySet<string> = new Set(),
): FormResult {
  const params: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    if (axes.has(f.key)) continue;
    const parsed = parseRaw(f, raws[f.key] ?? f.initial);
    if (!parsed.ok) {
      errors[f.key] = parsed.error;
      continue;
    }
    if ('empty' in parsed) {
      if (f.required) errors[f.key] = 'is required';
      continue;
    }
    const error = checkValue(f.schema, parsed.value);
    if (error) errors[f.key] = error;
    else params[f.key] = parsed.value;
  }
  return { params, errors };
}
