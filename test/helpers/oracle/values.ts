/**
 * Random values of the common PostgreSQL types, as SQL expressions cast to their type: edge
 * cases first (numeric scale, -0, NaN, infinities, far dates, unicode, quotes, backslashes,
 * NULL elements, arrays with other lower bounds), mixed with plain random values.
 */
import { cast, literal, type ColumnModel } from './model';
import type { Rng } from './random';

type Make = (rng: Rng) => string;

const pickOr = (pool: readonly string[], random: Make, p = 0.6): Make => (rng) => (rng.chance(p) ? rng.pick(pool) : random(rng));

const words = ['alpha', 'Beta', 'gamma délta', 'ЖЖЖ', '日本語', 'x', 'O\'Brien', 'back\\slash', 'q"uote', 'tab\there', 'emoji 🧪', 'ﬁ ligature'];

/** unicode and quoting edge cases for text */
export const TEXT_POOL = [
  '', ' ', 'plain', 'it\'s', 'say "hi"', 'back\\slash \\\\ two \\x41', 'emoji 😀👍🏽🏳️‍🌈', 'combining e\u0301 a\u0308\u0304',
  'RTL שלום עולם مرحبا', 'NULL', 'null', '{"a": 1}', 'tab\tnew\nline\r\n', 'ß ǅ ﬁ İ', 'zero\u200bwidth \u2028 sep',
  'trailing   ', '$$dollar$$', '\\N', 'a,b;c|d', '%_like_', '😀'.repeat(40),
];

function randomText(rng: Rng): string {
  const n = rng.int(1, 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i += 1) parts.push(rng.pick(words));
  return `${parts.join(' ')} ${rng.int(0, 99999)}`;
}

function codepoints(s: string, n: number): string {
  return Array.from(s).slice(0, n).join('');
}

function randomHex(rng: Rng, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i += 1) s += rng.int(0, 255).toString(16).padStart(2, '0');
  return s;
}

function randomFloat(rng: Rng): string {
  const x = (rng.next() - 0.5) * 10 ** rng.int(-30, 30);
  return String(x);
}

function randomNumeric(rng: Rng): string {
  const int = String(rng.int(0, 10 ** rng.int(0, 9)));
  const scale = rng.int(0, 8);
  const frac = scale === 0 ? '' : `.${String(rng.int(0, 10 ** scale - 1)).padStart(scale, '0')}`;
  return `${rng.chance(0.3) ? '-' : ''}${int}${frac}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function randomDate(rng: Rng): string {
  return `${pad(rng.int(1, 9999), 4)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`;
}

function randomTime(rng: Rng): string {
  return `${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}.${pad(rng.int(0, 999999), 6)}`;
}

function randomUuid(rng: Rng): string {
  const h = randomHex(rng, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** SQL expression of a text value of about `kilobytes` kB that compresses badly, so it is stored out of line (TOAST) */
export function wideText(rng: Rng, kilobytes = 110): string {
  return `(SELECT pg_catalog.string_agg(pg_catalog.md5(${literal(randomHex(rng, 8))} || i::text), '') FROM pg_catalog.generate_series(1, ${Math.ceil((kilobytes * 1024) / 32)}) AS i)`;
}

export function wideBytea(rng: Rng, kilobytes = 110): string {
  return `pg_catalog.decode(${wideText(rng, kilobytes * 2)}, 'hex')`;
}

const l = literal;

/** value makers by type name; every value is cast to the type */
export function valuesOf(type: string): Make {
  const t = type.toLowerCase();
  const make = ((): Make => {
    switch (t) {
      case 'smallint':
      case 'int2':
        return pickOr(['-32768', '32767', '0', '-1'].map(l), (r) => l(String(r.int(-32768, 32767))));
      case 'integer':
      case 'int4':
      case 'int':
        return pickOr(['-2147483648', '2147483647', '0'].map(l), (r) => l(String(r.int(-1e9, 1e9))), 0.3);
      case 'bigint':
      case 'int8':
        return pickOr(['-9223372036854775808', '9223372036854775807', '0', '4503599627370497'].map(l), (r) => l(`${r.int(-9e8, 9e8)}${pad(r.int(0, 999999999), 9)}`), 0.4);
      case 'numeric':
        return (r) => l(r.chance(0.5)
          ? r.pick(['1.50', '1.500', '1.5', '-0.000', '0', 'NaN', 'Infinity', '-Infinity', '123456789012345678901234567890.123456789012345', '1e-30', '-999.99', '0.1000000000000000000001'])
          : randomNumeric(r));
      case 'numeric(10,2)':
        return (r) => l(r.chance(0.3) ? r.pick(['0.00', '-0.01', '99999999.99', '-99999999.99', '1.5']) : (r.int(-9999999999, 9999999999) / 100).toFixed(2));
      case 'money':
        return (r) => l(r.chance(0.3) ? r.pick(['0', '-92233720368547758.08', '92233720368547758.07', '1.5']) : (r.int(-1e9, 1e9) / 100).toFixed(2));
      case 'real':
      case 'float4':
        return (r) => l(r.chance(0.5) ? r.pick(['-0', '0', 'NaN', 'Infinity', '-Infinity', '1.1', '3.4028235e+38', '1e-45', '-1.5']) : randomFloat(r));
      case 'double precision':
      case 'float8':
        return (r) => l(r.chance(0.5) ? r.pick(['-0', '0', 'NaN', 'Infinity', '-Infinity', '0.1', '1.7976931348623157e+308', '5e-324', '-2.5e-10']) : randomFloat(r));
      case 'text':
        return (r) => l(r.chance(0.6) ? r.pick(TEXT_POOL) : randomText(r));
      case 'varchar(20)':
        return (r) => l(codepoints(r.chance(0.6) ? r.pick(TEXT_POOL) : randomText(r), 20));
      case 'char(5)':
        return (r) => l(r.pick(['', 'ab', 'abcde', 'é😀', ' x', 'a\'b"c']));
      case 'bytea':
        return (r) => l(`\\x${r.chance(0.3) ? r.pick(['', '00', '00ff10', '5c27225c']) : randomHex(r, r.int(1, 40))}`);
      case 'boolean':
        return (r) => l(r.chance(0.5) ? 'true' : 'false');
      case 'date':
        return pickOr(['2024-02-29', 'infinity', '-infinity', '0001-01-01 BC', '5874897-12-31', '4713-01-01 BC', '1970-01-01'].map(l), (r) => l(randomDate(r)), 0.4);
      case 'time':
        return pickOr(['00:00', '24:00:00', '12:34:56.789012', '23:59:59.999999'].map(l), (r) => l(randomTime(r)), 0.4);
      case 'timetz':
        return pickOr(['12:00+05:30', '23:59:59.999999-15:59', '00:00:00+00', '10:10:10.1-03'].map(l), (r) => l(`${randomTime(r)}${r.pick(['+00', '-07', '+05:45', '+14'])}`), 0.4);
      case 'timestamp':
        return pickOr(['2000-01-01 00:00:00.000001', 'infinity', '-infinity', '294276-12-31 23:59:59.999999', '4713-01-01 00:00:00 BC', '1999-12-31 23:59:59'].map(l),
          (r) => l(`${randomDate(r)} ${randomTime(r)}`), 0.4);
      case 'timestamptz':
        return pickOr(['2021-03-14 01:59:59.5+00', '2021-11-07 01:30:00-04', 'infinity', '-infinity', '1900-01-01 00:00:00+01:30', '4713-01-01 00:00:00+00 BC'].map(l),
          (r) => l(`${randomDate(r)} ${randomTime(r)}${r.pick(['+00', '-07', '+05:45', '+14'])}`), 0.4);
      case 'interval':
        return pickOr(['1 year 2 mons -3 days 04:05:06.789', '-178000000 years', '0', '1 mon -1 day', '-00:00:00.000001', 'P1Y2M3DT4H5M6S', '100 days 25:00'].map(l),
          (r) => l(`${r.int(-100, 100)} days ${r.int(-30, 30)}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}.${r.int(0, 999)}`), 0.5);
      case 'uuid':
        return (r) => l(randomUuid(r));
      case 'json':
        // (no JSON null: jsonb_populate_record reads it back as SQL NULL, see oracle.test.ts)
        return (r) => l(r.pick(['{"b":1,  "a":[1,2]}', '"s"', '[]', '{"a":1,"a":2}', ' 1.50 ', '{"emoji":"😀","esc":"\\u00e9\\n"}', '{"deep": {"x": [true, false, null]}}']));
      case 'jsonb':
        return (r) => l(r.pick(['{"n": 1.50, "s": "x\\"y", "u": "😀"}', '[1, "2", null, true]', '"str"', '{}', '1e100', '{"nested": {"deep": [1, {"x": 0.10}]}}', '-0', `{"k": ${r.int(0, 1000)}}`]));
      case 'xml':
        return (r) => l(r.pick(['<a b="1">x &amp; y</a>', 'text only', '', '<r><![CDATA[c<d]]></r>', '<é attr="😀"/>', `<n>${r.int(0, 1000)}</n>`]));
      case 'point':
        return pickOr(['(1,2)', '(-0,1e+300)', '(NaN,Infinity)', '(1.5,-2.25)'].map(l), (r) => l(`(${randomFloat(r)},${randomFloat(r)})`));
      case 'inet':
        return (r) => l(r.chance(0.5) ? r.pick(['192.168.0.1/24', '::1', '10.0.0.1', '2001:db8::1/64']) : `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}`);
      case 'cidr':
        return (r) => l(r.pick(['10.0.0.0/8', '2001:db8::/32', '192.168.1.0/24', '0.0.0.0/0']));
      case 'macaddr':
        return (r) => l(randomHex(r, 6).replace(/(..)(?=.)/g, '$1:'));
      case 'integer[]':
        return pickOr(['{}', '{1,2,3}', '{NULL,1}', '{{1,2},{3,4}}', '[0:1]={5,6}', '[-2:-1][3:4]={{1,2},{3,4}}'].map(l), (r) => l(`{${Array.from({ length: r.int(1, 6) }, () => r.int(-99, 99)).join(',')}}`));
      case 'text[]':
        return (r) => l(r.pick(['{NULL,"NULL","a\\"b","😀",""}', '{}', '{"with,comma","with space","back\\\\slash"}', '[5:5]={x}', '{{a,b},{c,NULL}}', `{w${r.int(0, 99)}}`]));
      case 'double precision[]':
        return (r) => l(r.pick(['{-0,1.5,NaN}', '{0,-0}', '[2:3]={1,2}', '{Infinity,NULL}', `{${randomFloat(r)}}`]));
      case 'int4range':
        return pickOr(['[1,5)', 'empty', '(,3]', '[7,)'].map(l), (r) => { const a = r.int(-100, 100); return l(`[${a},${a + r.int(1, 50)})`); });
      case 'tstzrange':
        return (r) => l(r.pick(['[2020-01-01 00:00+00,infinity)', 'empty', '(,"2020-01-01 12:00+02")', '["2021-03-14 01:59:59.5+00","2021-03-15 00:00+00"]']));
      case 'int4multirange':
        return (r) => l(r.pick(['{}', '{[1,3),[5,7)}', '{(,0]}']));
      case 'bit(4)':
        return (r) => l(r.int(0, 15).toString(2).padStart(4, '0'));
      case 'varbit':
        return (r) => l(r.chance(0.2) ? '' : Array.from({ length: r.int(1, 40) }, () => (r.chance(0.5) ? '1' : '0')).join(''));
      default:
        throw new Error(`no values for type ${type}`);
    }
  })();
  return (rng) => cast(make(rng), type);
}

interface ColumnOptions {
  nullable?: boolean;
  definition?: string;
  value?: Make;
  json?: boolean;
  wide?: boolean;
  writable?: boolean;
  virtual?: boolean;
  fresh?: ColumnModel['fresh'];
}

/** a column of one of the types valuesOf knows (or with its own value maker) */
export function col(name: string, type: string, options: ColumnOptions = {}): ColumnModel {
  const base = type.toLowerCase();
  return {
    name,
    type,
    definition: options.definition,
    value: options.value ?? (options.writable === false ? undefined : valuesOf(base)),
    nullable: options.nullable ?? true,
    writable: options.writable ?? true,
    json: options.json ?? base === 'json',
    wide: options.wide,
    virtual: options.virtual,
    fresh: options.fresh,
  };
}

/** an integer key column: fresh values from the table's counter */
export function intKey(name: string, type = 'integer'): ColumnModel {
  return col(name, type, { nullable: false, fresh: (n) => cast(literal(String(n)), type) });
}

/** a text key column: fresh values with unicode and quotes in them */
export function textKey(name: string): ColumnModel {
  return col(name, 'text', { nullable: false, fresh: (n, r) => cast(literal(`${r.pick(['k', 'K é', 'k\'q', 'k"dq', '键', 'k\\b'])}-${n}`), 'text') });
}

/** a value maker of a user-defined type from a pool of literals */
export function poolOf(type: string, pool: readonly string[]): Make {
  return (rng) => cast(literal(rng.pick(pool)), type);
}
