// Host tests of the Node.js runtime's TableStore event decoder
// (runtimes/nodejs/tablestore.js), a plain-JS CBOR decoder: RFC 8949
// Appendix A vectors, a Sync-v1 event as the platform's ciborium encodes it,
// and malformed input. Run with `node --test api/tests/node/` (no packages).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Buffer as RuntimeBuffer } from '../../runtimes/nodejs/buffer.js';
import { CborError, decode, loads } from '../../runtimes/nodejs/tablestore.js';

const hex = (text) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
const bytes = (...values) => RuntimeBuffer.from(values);

// [hex, value] from RFC 8949 Appendix A. Tags give the tagged item; integers
// beyond Number.MAX_SAFE_INTEGER are BigInts; byte strings are the runtime's Buffer.
const RFC_VECTORS = [
  ['00', 0],
  ['01', 1],
  ['0a', 10],
  ['17', 23],
  ['1818', 24],
  ['1819', 25],
  ['1864', 100],
  ['1903e8', 1000],
  ['1a000f4240', 1000000],
  ['1b000000e8d4a51000', 1000000000000],
  ['1bffffffffffffffff', 18446744073709551615n],
  ['c249010000000000000000', bytes(1, 0, 0, 0, 0, 0, 0, 0, 0)],
  ['3bffffffffffffffff', -18446744073709551616n],
  ['c349010000000000000000', bytes(1, 0, 0, 0, 0, 0, 0, 0, 0)],
  ['20', -1],
  ['29', -10],
  ['3863', -100],
  ['3903e7', -1000],
  ['f90000', 0],
  ['f98000', -0],
  ['f93c00', 1.0],
  ['fb3ff199999999999a', 1.1],
  ['f93e00', 1.5],
  ['f97bff', 65504.0],
  ['fa47c35000', 100000.0],
  ['fa7f7fffff', 3.4028234663852886e38],
  ['fb7e37e43c8800759c', 1.0e300],
  ['f90001', 5.960464477539063e-8],
  ['f90400', 0.00006103515625],
  ['f9c400', -4.0],
  ['fbc010666666666666', -4.1],
  ['f97c00', Infinity],
  ['f97e00', NaN],
  ['f9fc00', -Infinity],
  ['fa7f800000', Infinity],
  ['fa7fc00000', NaN],
  ['faff800000', -Infinity],
  ['fb7ff0000000000000', Infinity],
  ['fb7ff8000000000000', NaN],
  ['fbfff0000000000000', -Infinity],
  ['f4', false],
  ['f5', true],
  ['f6', null],
  ['f7', undefined],
  ['c074323031332d30332d32315432303a30343a30305a', '2013-03-21T20:04:00Z'],
  ['c11a514b67b0', 1363896240],
  ['c1fb41d452d9ec200000', 1363896240.5],
  ['d74401020304', bytes(1, 2, 3, 4)],
  ['d818456449455446', bytes(0x64, 0x49, 0x45, 0x54, 0x46)],
  ['d82076687474703a2f2f7777772e6578616d706c652e636f6d', 'http://www.example.com'],
  ['40', bytes()],
  ['4401020304', bytes(1, 2, 3, 4)],
  ['60', ''],
  ['6161', 'a'],
  ['6449455446', 'IETF'],
  ['62225c', '"\\'],
  ['62c3bc', '\u00fc'],
  ['63e6b0b4', '\u6c34'],
  ['64f0908591', '\u{10151}'],
  ['63efbbbf', '\ufeff'],
  ['80', []],
  ['83010203', [1, 2, 3]],
  ['8301820203820405', [1, [2, 3], [4, 5]]],
  ['98190102030405060708090a0b0c0d0e0f101112131415161718181819', Array.from({ length: 25 }, (_, i) => i + 1)],
  ['a0', {}],
  ['a201020304', { 1: 2, 3: 4 }],
  ['a26161016162820203', { a: 1, b: [2, 3] }],
  ['826161a161626163', ['a', { b: 'c' }]],
  ['a56161614161626142616361436164614461656145', { a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }],
  ['5f42010243030405ff', bytes(1, 2, 3, 4, 5)],
  ['7f657374726561646d696e67ff', 'streaming'],
  ['9fff', []],
  ['9f018202039f0405ffff', [1, [2, 3], [4, 5]]],
  ['9f01820203820405ff', [1, [2, 3], [4, 5]]],
  ['83018202039f0405ff', [1, [2, 3], [4, 5]]],
  ['83019f0203ff820405', [1, [2, 3], [4, 5]]],
  ['9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff', Array.from({ length: 25 }, (_, i) => i + 1)],
  ['bf61610161629f0203ffff', { a: 1, b: [2, 3] }],
  ['826161bf61626163ff', ['a', { b: 'c' }]],
  ['bf6346756ef563416d7421ff', { Fun: true, Amt: -2 }],
];

// A Sync-v1 event as ciborium (the platform's encoder) writes it: 1.5 as a
// half float, 100000.0 as a single, pi as a double.
const SYNC_V1_HEX = [
  'a26756657273696f6e6753796e632d7631675265636f72647383a4645479706566507574526f7764',
  '496e666fa16954696d657374616d701b00060a24182022406a5072696d6172794b657982a26a436f',
  '6c756d6e4e616d656269646556616c756501a26a436f6c756d6e4e616d65646e616d656556616c75',
  '6562616267436f6c756d6e7388a46454797065635075746a436f6c756d6e4e616d65616e6556616c',
  '756538296954696d657374616d701b0000018bcfe5687ba46454797065635075746a436f6c756d6e',
  '4e616d65636269676556616c75651b00200000000000016954696d657374616d7001a46454797065',
  '635075746a436f6c756d6e4e616d6561666556616c7565f93e006954696d657374616d7001a46454',
  '797065635075746a436f6c756d6e4e616d6561676556616c7565fa47c350006954696d657374616d',
  '7001a46454797065635075746a436f6c756d6e4e616d656270696556616c7565fb400921fb54442d',
  '186954696d657374616d7001a46454797065635075746a436f6c756d6e4e616d65626f6b6556616c',
  '7565f46954696d657374616d7001a46454797065635075746a436f6c756d6e4e616d656173655661',
  '6c75656668c3a96c6c6f6954696d657374616d7001a46454797065635075746a436f6c756d6e4e61',
  '6d65637261776556616c7565430001ff6954696d657374616d7001a4645479706569557064617465',
  '526f7764496e666fa16954696d657374616d701b00060a2418214d406a5072696d6172794b657981',
  'a26a436f6c756d6e4e616d656269646556616c75650267436f6c756d6e7382a46454797065704465',
  '6c6574654f6e6556657273696f6e6a436f6c756d6e4e616d6564676f6e656556616c7565f6695469',
  '6d657374616d701b0000018bcfe568c7a264547970657144656c657465416c6c56657273696f6e73',
  '6a436f6c756d6e4e616d6563616c6ca464547970656944656c657465526f7764496e666fa1695469',
  '6d657374616d701b00060a241822d3e06a5072696d6172794b657981a26a436f6c756d6e4e616d65',
  '6269646556616c75652267436f6c756d6e7380',
].join('');

const SYNC_V1 = {
  Version: 'Sync-v1',
  Records: [
    {
      Type: 'PutRow',
      Info: { Timestamp: 1700000000123456 },
      PrimaryKey: [
        { ColumnName: 'id', Value: 1 },
        { ColumnName: 'name', Value: 'ab' },
      ],
      Columns: [
        { Type: 'Put', ColumnName: 'n', Value: -42, Timestamp: 1700000000123 },
        { Type: 'Put', ColumnName: 'big', Value: 9007199254740993n, Timestamp: 1 },
        { Type: 'Put', ColumnName: 'f', Value: 1.5, Timestamp: 1 },
        { Type: 'Put', ColumnName: 'g', Value: 100000.0, Timestamp: 1 },
        { Type: 'Put', ColumnName: 'pi', Value: Math.PI, Timestamp: 1 },
        { Type: 'Put', ColumnName: 'ok', Value: false, Timestamp: 1 },
        { Type: 'Put', ColumnName: 's', Value: 'h\u00e9llo', Timestamp: 1 },
        { Type: 'Put', ColumnName: 'raw', Value: bytes(0, 1, 0xff), Timestamp: 1 },
      ],
    },
    {
      Type: 'UpdateRow',
      Info: { Timestamp: 1700000000200000 },
      PrimaryKey: [{ ColumnName: 'id', Value: 2 }],
      Columns: [
        { Type: 'DeleteOneVersion', ColumnName: 'gone', Value: null, Timestamp: 1700000000199 },
        { Type: 'DeleteAllVersions', ColumnName: 'all' },
      ],
    },
    {
      Type: 'DeleteRow',
      Info: { Timestamp: 1700000000300000 },
      PrimaryKey: [{ ColumnName: 'id', Value: -3 }],
      Columns: [],
    },
  ],
};

const MALFORMED = {
  empty: '',
  'missing 1-byte argument': '18',
  'short 8-byte argument': '1b0000',
  'short text': '6261',
  'short array': '830102',
  'map without its value': 'a16161',
  'unended indefinite array': '9f01',
  'unended indefinite map': 'bf616101',
  'unended indefinite bytes': '5f4100',
  'text chunk in a byte string': '5f6161ff',
  'indefinite chunk': '5f5fffff',
  'lone break': 'ff',
  'break as a map value': 'bf6161ffff',
  'reserved 28': '1c',
  'reserved 29': '3d',
  'reserved 30': '5e',
  'indefinite integer': '1f',
  'indefinite negative': '3f',
  'indefinite tag': 'df',
  'two-byte simple below 32': 'f810',
  'unassigned simple': 'f0',
  'unassigned simple 255': 'f8ff',
  'truncated half': 'f93c',
  'truncated double': 'fb3ff1',
  'invalid UTF-8': '62c328',
  'trailing bytes': '0102',
  'huge array': '9bffffffffffffffff',
  'huge map': 'bbffffffffffffffff',
  'huge byte string': '5bffffffffffffffff00',
  'array as a map key': 'a1810102',
  'tag without item': 'c1',
};

test('RFC 8949 Appendix A vectors', () => {
  for (const [text, expected] of RFC_VECTORS) {
    const value = loads(hex(text));
    if (expected instanceof Uint8Array) assert.ok(value instanceof RuntimeBuffer, `${text} gives a Buffer`);
    assert.deepStrictEqual(value, expected, text);
  }
});

test('accepts a Buffer, a Uint8Array view and an ArrayBuffer', () => {
  const data = Buffer.from('ff83010203', 'hex').subarray(1); // Node's own Buffer, a view at an offset
  assert.deepStrictEqual(loads(data), [1, 2, 3]);
  assert.deepStrictEqual(loads(new Uint8Array([0x61, 0x61]).buffer), 'a');
  assert.throws(() => loads('a0'), TypeError);
});

test('a map key named __proto__ is data', () => {
  const value = loads(hex('a1695f5f70726f746f5f5fa0'));
  assert.deepStrictEqual(Object.keys(value), ['__proto__']);
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
});

test('decodes a Sync-v1 event', () => {
  assert.deepStrictEqual(decode(Buffer.from(SYNC_V1_HEX, 'hex')), SYNC_V1);
  assert.throws(() => decode(hex('80')), /is a CBOR map/);
});

test('every truncation of the event is a CborError', () => {
  const data = hex(SYNC_V1_HEX);
  for (let end = 0; end < data.length; end += 1) assert.throws(() => decode(data.subarray(0, end)), CborError);
});

test('mutations of the event decode or throw a CborError', () => {
  const data = hex(SYNC_V1_HEX);
  let seed = 8949;
  const next = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 3000; i += 1) {
    const mutated = data.slice();
    for (let k = 0; k <= next(4); k += 1) mutated[next(mutated.length)] = next(256);
    try {
      loads(mutated);
    } catch (error) {
      if (!(error instanceof CborError)) throw error;
    }
  }
});

test('malformed input throws a CborError', () => {
  for (const [name, text] of Object.entries(MALFORMED)) {
    assert.throws(() => loads(hex(text)), (error) => error instanceof CborError && /^invalid CBOR at byte \d+: /.test(error.message), name);
  }
});

test('nesting is capped at 64', () => {
  let expected = 0;
  for (let i = 0; i < 64; i += 1) expected = [expected];
  assert.deepStrictEqual(loads(Uint8Array.from([...Array(64).fill(0x81), 0])), expected);
  for (const prefix of [[0x81], [0xa1, 0], [0xc0], [0x9f]]) {
    const data = Uint8Array.from([...Array.from({ length: 65 }, () => prefix).flat(), 0]);
    assert.throws(() => loads(data), /nested deeper than 64/);
  }
  assert.throws(() => loads(new Uint8Array(100000).fill(0x81)), /nested deeper than 64/);
});
