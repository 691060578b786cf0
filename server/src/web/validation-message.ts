/**
 * A schema validation failure as a sentence for people: "state must be one of open, acknowledged,
 * resolved, unresolved, all", not "querystring/state must be equal to constant". Clients show the
 * message as it is; the stable part is the code, WL_BAD_REQUEST.
 */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string | undefined;
}

const WHERE: Record<string, string> = {
  querystring: 'the query',
  body: 'the request body',
  params: 'the address',
  headers: 'the headers',
};

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'empty (null)',
};

const FORMAT_WORDS: Record<string, string> = {
  'date-time': 'a date and time such as 2026-01-31T09:30:00Z',
  date: 'a date such as 2026-01-31',
  email: 'an email address',
  uri: 'a full URL',
  uuid: 'a UUID',
};

/** "/changes/systolicHigh" → "changes.systolicHigh". */
const fieldOf = (instancePath: string): string =>
  instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

const join = (parent: string, child: string): string => (parent ? `${parent}.${child}` : child);

const list = (values: unknown[]): string => values.map((v) => (v === null ? 'null' : String(v))).join(', ');

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

function sentence(error: SchemaError, subject: string): string | null {
  const p = error.params;
  const plural = (n: unknown, word: string) => `${String(n)} ${word}${n === 1 ? '' : 's'}`;
  switch (error.keyword) {
    case 'required':
      return `${join(fieldOf(error.instancePath), String(p.missingProperty))} is required`;
    case 'additionalProperties':
      return `${subject} has a field the server does not know: ${String(p.additionalProperty)}`;
    case 'type':
      return `${subject} must be ${typeWords(p.type)}`;
    case 'enum':
      return `${subject} must be one of ${list(p.allowedValues as unknown[])}`;
    case 'const':
      return `${subject} must be ${String(p.allowedValue)}`;
    case 'minimum':
      return `${subject} must be at least ${String(p.limit)}`;
    case 'maximum':
      return `${subject} must be at most ${String(p.limit)}`;
    case 'exclusiveMinimum':
      return `${subject} must be more than ${String(p.limit)}`;
    case 'exclusiveMaximum':
      return `${subject} must be less than ${String(p.limit)}`;
    case 'minLength':
      return p.limit === 1
        ? `${subject} must not be empty`
        : `${subject} must be at least ${plural(p.limit, 'character')} long`;
    case 'maxLength':
      return `${subject} must be at most ${plural(p.limit, 'character')} long`;
    case 'minItems':
      return `${subject} must have at least ${plural(p.limit, 'item')}`;
    case 'maxItems':
      return `${subject} must have at most ${plural(p.limit, 'item')}`;
    case 'minProperties':
      return `${subject} must have at least ${plural(p.limit, 'field')}`;
    case 'maxProperties':
      return `${subject} must have at most ${plural(p.limit, 'field')}`;
    case 'format':
      return `${subject} must be ${FORMAT_WORDS[String(p.format)] ?? `a valid ${String(p.format)}`}`;
    case 'pattern':
      return `${subject} is not in the form the server accepts`;
    case 'multipleOf':
      return `${subject} must be a multiple of ${String(p.multipleOf)}`;
    case 'uniqueItems':
      return `${subject} must not repeat an item`;
    default:
      return null;
  }
}

/**
 * One sentence per field, first field first. A union of literals fails as several `const` errors
 * and an `anyOf` at one path: they become one "must be one of" with every allowed value.
 */
export function validationMessage(errors: readonly SchemaError[], context: string | undefined): string {
  const where = WHERE[context ?? ''] ?? 'the request';
  const byPath = new Map<string, SchemaError[]>();
  for (const error of errors) {
    const group = byPath.get(error.instancePath) ?? [];
    group.push(error);
    byPath.set(error.instancePath, group);
  }
  const sentences: string[] = [];
  for (const [path, group] of byPath) {
    const subject = fieldOf(path) || where;
    const allowed = group.filter((e) => e.keyword === 'const').map((e) => e.params.allowedValue);
    const types = group.filter((e) => e.keyword === 'type');
    const unknownName = group.find((e) => e.keyword === 'propertyNames')?.params.propertyName;
    let text: string | null = null;
    if (unknownName !== undefined) {
      const known = allowed.length > 0 ? ` (it knows ${list([...new Set(allowed)])})` : '';
      text = `${subject} has a field the server does not know: ${String(unknownName)}${known}`;
    } else if (allowed.length > 0 && group.some((e) => e.keyword === 'anyOf')) {
      text = `${subject} must be one of ${list([...new Set(allowed)])}`;
    } else if (types.length > 1 && group.some((e) => e.keyword === 'anyOf')) {
      text = `${subject} must be ${typeWords(types.map((e) => e.params.type))}`;
    } else {
      for (const error of group) {
        text = sentence(error, subject);
        if (text) break;
      }
      text ??= `${subject} is not valid`;
    }
    sentences.push(text);
  }
  if (sentences.length === 0) return `${where} is not valid`;
  const message = sentences.join('; ');
  return message.startsWith('the ') ? `T${message.slice(1)}` : message;
}
