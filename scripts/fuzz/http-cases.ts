/**
 * The HTTP cases, as fast-check arbitraries: plain data (so a failing case prints as
 * JSON and the same seed draws the same cases), resolved against the server's state
 * only when sent (`ref` picks among the ids seen so far).
 *
 * Most cases aim at a real route with its own method, a valid token and a body grown
 * from a valid one by a few mutations, so that they get past the first checks and
 * reach the deeper ones; the rest are wrong in every way a client can be wrong:
 * methods, paths, ids, queries, tokens, content types, bodies that are not JSON or not
 * even text, bodies over the limit, and raw bytes on the socket that are not HTTP.
 */
import fc from 'fast-check';

export type Ref = 'job' | 'batch' | 'template' | 'artifact';
/** A path segment: literal text, an id seen earlier (`pick` among them), or a hostile one. */
export type Segment = { lit: string } | { ref: Ref; pick: number } | { raw: string };

export type Body =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: number[] }
  /** A valid JSON body padded past the default 1 MB limit. */
  | { kind: 'huge'; bytes: number };

export type Auth = 'token' | 'none' | 'wrong' | 'malformed' | 'cookie';

export interface HttpCase {
  kind: 'http';
  method: string;
  path: Segment[];
  /** Query pairs, each part already percent-encoded (or hostile on purpose). */
  query: [string, string][];
  auth: Auth;
  contentType: string | null;
  body: Body | null;
}

/** Bytes written on a socket as they are: framing no HTTP client would send. */
export interface RawCase {
  kind: 'raw';
  name: string;
  /** The bytes, with `{auth}` and `{host}` filled in when sent. */
  bytes: string;
  /** Whether the framing is valid HTTP/1.1 (then an answer is owed). */
  wellFramed: boolean;
}

export type Case = HttpCase | RawCase;

const lit = (s: string): Segment => ({ lit: s });
const ref = (r: Ref) => fc.nat().map((pick): Segment => ({ ref: r, pick }));

/** Ids and names no route should take at face value. */
const HOSTILE = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F..',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  'a%00b',
  '%ff%fe',
  '%',
  '%zz',
  '%C3%A9t%C3%A9',
  '%F0%9F%94%A5',
  "'%3B%20DROP%20TABLE%20jobs%3B--",
  '-1',
  '0',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'x'.repeat(129),
  'y'.repeat(5_000),
  '%20',
  'a%2Fb',
];

const hostileSegment = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', maxLength: 40 }).map(encodeURIComponent),
);

const idSegment = (r: Ref) =>
  fc.oneof(
    { weight: 4, arbitrary: ref(r) },
    { weight: 1, arbitrary: hostileSegment.map((raw): Segment => ({ raw })) },
  );

interface Route {
  methods: string[];
  path: fc.Arbitrary<Segment[]>;
  /** Valid bodies of this route, mutated by the cases. */
  bodies?: unknown[];
  /** Query names the route knows. */
  query?: string[];
}

const tuple = (...parts: (Segment | fc.Arbitrary<Segment>)[]) =>
  fc.tuple(...parts.map((p) => (p instanceof fc.Arbitrary ? p : fc.constant(p))));

const presentation = {
  type: 'presentation',
  params: { title: 'Fuzz deck', slides: [{ title: 'One', body: 'Body text' }] },
};
const curriculum = { type: 'curriculum', params: { subject: 'math', grade: 3 } };
/** Unresolvable, so a delivery attempt fails fast and stays off the network. */
const WEBHOOK = 'https://hooks.invalid/kiln';

const JOB_BODIES = [
  presentation,
  curriculum,
  { ...curriculum, priority: 5, name: 'named', idempotencyKey: 'k-1' },
  { ...presentation, runAt: '2030-01-01T00:00:00.000Z' },
];
const BATCH_BODIES = [
  { template: 'curriculum-grid' },
  { template: 'curriculum-grid', grid: { subject: ['art'], grade: [1, 2] }, name: 'grid' },
  { template: 'presentation-sample', params: { title: 'Other' } },
  { name: 'two', jobs: [curriculum, presentation], concurrency: 1, priority: 2 },
  { jobs: [curriculum], webhook: { url: WEBHOOK } },
  { jobs: [curriculum], webhook: { url: 'http://127.0.0.1:9/x' } },
  { jobs: [curriculum], metadata: { owner: 'fuzz' }, runAt: '2030-01-01T00:00:00Z' },
];
const TEMPLATE_BODIES = [
  { name: 'fuzz-t', type: 'curriculum', grid: { subject: ['math'], grade: [1, 2] } },
  { name: 'fuzz-p', type: 'presentation', params: presentation.params, description: 'd' },
  {
    name: 'fuzz-s',
    type: 'curriculum',
    params: { subject: 'math', grade: 1 },
    // Once a year, at a time no run reaches: a template that never fires while fuzzed.
    schedule: { cron: '0 0 1 1 *', timezone: 'UTC' },
  },
];

const ROUTES: Route[] = [
  {
    methods: ['GET', 'POST'],
    path: tuple(lit('api'), lit('jobs')),
    bodies: JOB_BODIES,
    query: ['state', 'type', 'batchId', 'limit', 'cursor'],
  },
  {
    methods: ['POST'],
    path: tuple(lit('api'), lit('jobs'), lit('bulk')),
    bodies: [{ jobs: JOB_BODIES.slice(0, 2) }, { jobs: [curriculum] }],
  },
  { methods: ['GET', 'DELETE'], path: tuple(lit('api'), lit('jobs'), idSegment('job')) },
  ...['cancel', 'retry'].map((action) => ({
    methods: ['POST'],
    path: tuple(lit('api'), lit('jobs'), idSegment('job'), lit(action)),
  })),
  ...['attempts', 'logs', 'artifacts'].map((what) => ({
    methods: ['GET'],
    path: tuple(lit('api'), lit('jobs'), idSegment('job'), lit(what)),
    query: ['afterId', 'limit'],
  })),
  {
    methods: ['GET'],
    path: tuple(lit('api'), lit('jobs'), idSegment('job'), lit('artifacts'), idSegment('artifact')),
  },
  {
    methods: ['GET', 'POST'],
    path: tuple(lit('api'), lit('batches')),
    bodies: BATCH_BODIES,
    query: ['state', 'q', 'template', 'limit', 'cursor'],
  },
  { methods: ['GET'], path: tuple(lit('api'), lit('batches'), idSegment('batch')) },
  ...['pause', 'resume', 'cancel', 'retry-failed'].map((action) => ({
    methods: ['POST'],
    path: tuple(lit('api'), lit('batches'), idSegment('batch'), lit(action)),
  })),
  {
    methods: ['GET'],
    path: tuple(lit('api'), lit('batches'), idSegment('batch'), lit('timeline')),
    query: ['bucketMs'],
  },
  { methods: ['GET'], path: tuple(lit('api'), lit('batches'), idSegment('batch'), lit('export')) },
  {
    methods: ['GET', 'POST'],
    path: tuple(lit('api'), lit('templates')),
    bodies: TEMPLATE_BODIES,
  },
  {
    methods: ['GET', 'PUT', 'DELETE'],
    path: tuple(lit('api'), lit('templates'), idSegment('template')),
    bodies: TEMPLATE_BODIES.map(({ name: _, ...rest }) => rest),
  },
  { methods: ['GET'], path: tuple(lit('api'), lit('job-types')) },
  { methods: ['GET'], path: tuple(lit('api'), lit('events')), query: ['batchId', 'jobId'] },
  { methods: ['POST'], path: tuple(lit('api'), lit('prune')), bodies: [{}] },
  { methods: ['POST', 'DELETE'], path: tuple(lit('api'), lit('session')), bodies: [{}] },
  { methods: ['GET'], path: tuple(lit('healthz')) },
  { methods: ['GET'], path: tuple(lit('metrics')) },
  { methods: ['GET'], path: tuple(lit('openapi.json')) },
  { methods: ['GET'], path: fc.constant([lit('')]) },
  {
    methods: ['GET'],
    path: tuple(
      fc.constantFrom(lit('assets'), lit('api'), lit('batches'), lit('jobs')),
      hostileSegment.map((raw): Segment => ({ raw })),
    ),
  },
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** A value of any JSON shape, large ones now and then. */
const anyJson = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(70_000), 1e308, -0, 2 ** 53 + 1, '\u0000') },
  {
    weight: 1,
    arbitrary: fc.nat({ max: 3_000 }).map((depth) => {
      let v: unknown = 1;
      for (let i = 0; i < depth; i++) v = [v];
      return v;
    }),
  },
);

interface Mutation {
  at: number[];
  op: 'replace' | 'delete' | 'add' | 'wrap';
  key: string;
  value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.array(fc.nat(), { maxLength: 4 }),
  op: fc.constantFrom('replace', 'delete', 'add', 'wrap'),
  key: fc.oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'type',
      'params',
      'jobs',
      'priority',
      'runAt',
      'webhook',
      'grid',
      'schedule',
      'extra',
    ),
    fc.string({ maxLength: 12 }),
  ),
  value: anyJson,
});

/** `value` with one node (reached by walking `at`, modulo each node's size) changed. */
export function mutate(value: unknown, m: Mutation): unknown {
  const walk = (node: unknown, depth: number): unknown => {
    const children = isContainer(node) ? Object.keys(node) : [];
    if (depth < m.at.length && children.length > 0) {
      const key = children[m.at[depth]! % children.length]!;
      const copy = (Array.isArray(node) ? [...node] : { ...(node as object) }) as Record<
        string,
        unknown
      >;
      const next = walk((node as Record<string, unknown>)[key], depth + 1);
      if (next === DELETE) {
        if (Array.isArray(copy)) copy.splice(Number(key), 1);
        else delete copy[key];
      } else Object.defineProperty(copy, key, { value: next, enumerable: true, writable: true });
      return copy;
    }
    switch (m.op) {
      case 'replace':
        return m.value;
      case 'delete':
        return depth === 0 ? {} : DELETE;
      case 'wrap':
        return [node];
      case 'add':
        if (Array.isArray(node)) return [...node, m.value];
        if (isContainer(node)) {
          // defineProperty: a key named __proto__ becomes a real key, as JSON.parse makes it.
          const copy = { ...(node as object) };
          Object.defineProperty(copy, m.key, { value: m.value, enumerable: true, writable: true });
          return copy;
        }
        return m.value;
    }
  };
  return walk(value, 0);
}

const DELETE = Symbol('delete');
const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

const grownBody = (bodies: unknown[]): fc.Arbitrary<Body> =>
  fc
    .tuple(fc.constantFrom(...bodies), fc.array(mutation, { maxLength: 3 }))
    .map(([body, ms]): Body => ({ kind: 'json', value: ms.reduce(mutate, body) }));

const strayBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 3, arbitrary: anyJson.map((value): Body => ({ kind: 'json', value })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...JOB_BODIES, ...BATCH_BODIES), fc.nat())
      .map(([b, cut]): Body => {
        const text = JSON.stringify(b);
        return { kind: 'text', text: text.slice(0, cut % text.length) };
      }),
  },
  {
    weight: 2,
    arbitrary: fc.string({ maxLength: 200 }).map((text): Body => ({ kind: 'text', text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 300 })
      .map((b): Body => ({ kind: 'bytes', bytes: [...b] })),
  },
  { weight: 1, arbitrary: fc.constant<Body>({ kind: 'text', text: '' }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1_100_000, max: 3_000_000 })
      .map((bytes): Body => ({ kind: 'huge', bytes })),
  },
);

const queryValue = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1',
    '1000',
    '1001',
    '1e3',
    '0x10',
    'abc',
    'pending',
    'running%2Cpending',
    'completed,failed,nope',
    '%ff',
    '%',
    '%00',
    'x'.repeat(3_000),
  ),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

const queryFor = (names: string[]) =>
  fc.array(
    fc.tuple(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...(names.length ? names : ['limit'])) },
        { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map(encodeURIComponent) },
      ),
      queryValue,
    ),
    { maxLength: 3 },
  );

const CONTENT_TYPES = [
  'text/plain',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/jsonx',
  '',
];

const httpCase: fc.Arbitrary<HttpCase> = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    kind: fc.constant('http' as const),
    method: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...route.methods) },
      { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
    ),
    path: route.path,
    query: fc.oneof(
      { weight: 2, arbitrary: fc.constant<[string, string][]>([]) },
      { weight: 1, arbitrary: queryFor(route.query ?? []) },
    ),
    auth: fc.oneof(
      { weight: 12, arbitrary: fc.constant<Auth>('token') },
      { weight: 1, arbitrary: fc.constantFrom<Auth>('none', 'wrong', 'malformed', 'cookie') },
    ),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    ),
    body: route.bodies
      ? fc.oneof(
          { weight: 6, arbitrary: grownBody(route.bodies) },
          { weight: 3, arbitrary: strayBody },
          { weight: 1, arbitrary: fc.constant(null) },
        )
      : fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: strayBody }),
  }),
);

const HEAD = 'Host: {host}\r\nAuthorization: Bearer {auth}\r\n';

/** Framing by hand. `wellFramed`: an answer is owed. */
const RAW: RawCase[] = [
  [
    'content-length larger than the body, then the socket ends',
    `POST /api/jobs HTTP/1.1\r\n${HEAD}Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{"type":"curriculum"`,
    false,
  ],
  [
    'content-length smaller than the body',
    `POST /api/jobs HTTP/1.1\r\n${HEAD}Content-Type: application/json\r\nContent-Length: 5\r\n\r\n{"type":"curriculum","params":{}}`,
    false,
  ],
  [
    'a negative content-length',
    `POST /api/jobs HTTP/1.1\r\n${HEAD}Content-Length: -1\r\n\r\n`,
    false,
  ],
  [
    'two content-lengths that disagree',
    `POST /api/jobs HTTP/1.1\r\n${HEAD}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
    false,
  ],
  [
    'content-length and chunked together',
    `POST /api/jobs HTTP/1.1\r\n${HEAD}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    false,
  ],
  [
    'a chunk size that is not hex',
    `POST /api/jobs HTTP/1.1\r\n${HEAD}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    false,
  ],
  [
    'chunked, ended early',
    `POST /api/batches HTTP/1.1\r\n${HEAD}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"template":"cu`,
    false,
  ],
  [
    'chunked and well formed',
    `POST /api/batches HTTP/1.1\r\n${HEAD}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"jo\r\n6\r\nbs":[]\r\n1\r\n}\r\n0\r\n\r\n`,
    true,
  ],
  [
    'a NUL byte in a header value',
    `GET /api/jobs HTTP/1.1\r\n${HEAD}X-Bad: a\u0000b\r\n\r\n`,
    false,
  ],
  ['a header without a colon', `GET /api/jobs HTTP/1.1\r\n${HEAD}NoColonHere\r\n\r\n`, false],
  [
    'a header of 20 kB',
    `GET /api/jobs HTTP/1.1\r\n${HEAD}X-Long: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    false,
  ],
  ['an unknown method', `BREW /api/jobs HTTP/1.1\r\n${HEAD}Connection: close\r\n\r\n`, false],
  ['not HTTP at all', '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003', false],
  ['a bare line', 'hello\r\n\r\n', false],
  [
    'HTTP/1.0 without a Host',
    `GET /api/job-types HTTP/1.0\r\nAuthorization: Bearer {auth}\r\n\r\n`,
    true,
  ],
  ['HTTP/2.0 on a 1.1 port', `GET /api/jobs HTTP/2.0\r\n${HEAD}\r\n`, false],
  [
    'an absolute-form target',
    `GET http://{host}/api/jobs HTTP/1.1\r\n${HEAD}Connection: close\r\n\r\n`,
    true,
  ],
  [
    'a target with a fragment and dot segments',
    `GET /api/jobs/../../etc/passwd#x HTTP/1.1\r\n${HEAD}Connection: close\r\n\r\n`,
    true,
  ],
  [
    'a target with raw spaces',
    `GET /api/jobs/a b HTTP/1.1\r\n${HEAD}Connection: close\r\n\r\n`,
    false,
  ],
  [
    'two requests pipelined, the second malformed',
    `GET /api/job-types HTTP/1.1\r\n${HEAD}\r\nPOST /api/jobs HTTP/1.1\r\n${HEAD}Content-Length: 3\r\n\r\n{`,
    false,
  ],
  [
    'Expect: 100-continue and no body',
    `POST /api/jobs HTTP/1.1\r\n${HEAD}Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n`,
    false,
  ],
  [
    'a body on a GET',
    `GET /api/jobs HTTP/1.1\r\n${HEAD}Content-Length: 4\r\nConnection: close\r\n\r\n{}{}`,
    true,
  ],
].map(([name, bytes, wellFramed]) => ({
  kind: 'raw',
  name: name as string,
  bytes: bytes as string,
  wellFramed: wellFramed as boolean,
}));

export const caseArbitrary: fc.Arbitrary<Case> = fc.oneof(
  { weight: 19, arbitrary: httpCase },
  { weight: 1, arbitrary: fc.constantFrom(...RAW) },
);
