"""Host tests of the Python runtime's TableStore event decoder
(runtimes/python/wasm_fc_runtime/tablestore.py), a pure-Python CBOR decoder:
RFC 8949 Appendix A vectors, a Sync-v1 event as the platform's ciborium
encodes it, and malformed input. Run with `python3 -m unittest
api/tests/python/test_tablestore_decode.py` (no packages needed).

The module is loaded from its file, not through the `wasm_fc_runtime`
package, whose `__init__` imports componentize-py's build-time modules.
"""

import importlib.util
import math
import pathlib
import random
import unittest

_FILE = pathlib.Path(__file__).resolve().parents[2] / "runtimes/python/wasm_fc_runtime/tablestore.py"
_spec = importlib.util.spec_from_file_location("wasm_fc_tablestore", _FILE)
tablestore = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tablestore)

# (hex, value) from RFC 8949 Appendix A. Tags give the tagged item; undefined is None.
RFC_VECTORS = [
    ("00", 0),
    ("01", 1),
    ("0a", 10),
    ("17", 23),
    ("1818", 24),
    ("1819", 25),
    ("1864", 100),
    ("1903e8", 1000),
    ("1a000f4240", 1000000),
    ("1b000000e8d4a51000", 1000000000000),
    ("1bffffffffffffffff", 18446744073709551615),
    ("c249010000000000000000", b"\x01" + bytes(8)),
    ("3bffffffffffffffff", -18446744073709551616),
    ("c349010000000000000000", b"\x01" + bytes(8)),
    ("20", -1),
    ("29", -10),
    ("3863", -100),
    ("3903e7", -1000),
    ("f90000", 0.0),
    ("f93c00", 1.0),
    ("fb3ff199999999999a", 1.1),
    ("f93e00", 1.5),
    ("f97bff", 65504.0),
    ("fa47c35000", 100000.0),
    ("fa7f7fffff", 3.4028234663852886e38),
    ("fb7e37e43c8800759c", 1.0e300),
    ("f90001", 5.960464477539063e-8),
    ("f90400", 0.00006103515625),
    ("f9c400", -4.0),
    ("fbc010666666666666", -4.1),
    ("f97c00", math.inf),
    ("f9fc00", -math.inf),
    ("fa7f800000", math.inf),
    ("faff800000", -math.inf),
    ("fb7ff0000000000000", math.inf),
    ("fbfff0000000000000", -math.inf),
    ("f4", False),
    ("f5", True),
    ("f6", None),
    ("f7", None),
    ("c074323031332d30332d32315432303a30343a30305a", "2013-03-21T20:04:00Z"),
    ("c11a514b67b0", 1363896240),
    ("c1fb41d452d9ec200000", 1363896240.5),
    ("d74401020304", b"\x01\x02\x03\x04"),
    ("d818456449455446", b"dIETF"),
    ("d82076687474703a2f2f7777772e6578616d706c652e636f6d", "http://www.example.com"),
    ("40", b""),
    ("4401020304", b"\x01\x02\x03\x04"),
    ("60", ""),
    ("6161", "a"),
    ("6449455446", "IETF"),
    ("62225c", "\"\\"),
    ("62c3bc", "\u00fc"),
    ("63e6b0b4", "\u6c34"),
    ("64f0908591", "\U00010151"),
    ("80", []),
    ("83010203", [1, 2, 3]),
    ("8301820203820405", [1, [2, 3], [4, 5]]),
    ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", list(range(1, 26))),
    ("a0", {}),
    ("a201020304", {1: 2, 3: 4}),
    ("a26161016162820203", {"a": 1, "b": [2, 3]}),
    ("826161a161626163", ["a", {"b": "c"}]),
    ("a56161614161626142616361436164614461656145", {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}),
    ("5f42010243030405ff", b"\x01\x02\x03\x04\x05"),
    ("7f657374726561646d696e67ff", "streaming"),
    ("9fff", []),
    ("9f018202039f0405ffff", [1, [2, 3], [4, 5]]),
    ("9f01820203820405ff", [1, [2, 3], [4, 5]]),
    ("83018202039f0405ff", [1, [2, 3], [4, 5]]),
    ("83019f0203ff820405", [1, [2, 3], [4, 5]]),
    ("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", list(range(1, 26))),
    ("bf61610161629f0203ffff", {"a": 1, "b": [2, 3]}),
    ("826161bf61626163ff", ["a", {"b": "c"}]),
    ("bf6346756ef563416d7421ff", {"Fun": True, "Amt": -2}),
]

# A Sync-v1 event as ciborium (the platform's encoder) writes it: 1.5 as a
# half float, 100000.0 as a single, pi as a double.
SYNC_V1_HEX = (
    "a26756657273696f6e6753796e632d7631675265636f72647383a4645479706566507574526f7764"
    "496e666fa16954696d657374616d701b00060a24182022406a5072696d6172794b657982a26a436f"
    "6c756d6e4e616d656269646556616c756501a26a436f6c756d6e4e616d65646e616d656556616c75"
    "6562616267436f6c756d6e7388a46454797065635075746a436f6c756d6e4e616d65616e6556616c"
    "756538296954696d657374616d701b0000018bcfe5687ba46454797065635075746a436f6c756d6e"
    "4e616d65636269676556616c75651b00200000000000016954696d657374616d7001a46454797065"
    "635075746a436f6c756d6e4e616d6561666556616c7565f93e006954696d657374616d7001a46454"
    "797065635075746a436f6c756d6e4e616d6561676556616c7565fa47c350006954696d657374616d"
    "7001a46454797065635075746a436f6c756d6e4e616d656270696556616c7565fb400921fb54442d"
    "186954696d657374616d7001a46454797065635075746a436f6c756d6e4e616d65626f6b6556616c"
    "7565f46954696d657374616d7001a46454797065635075746a436f6c756d6e4e616d656173655661"
    "6c75656668c3a96c6c6f6954696d657374616d7001a46454797065635075746a436f6c756d6e4e61"
    "6d65637261776556616c7565430001ff6954696d657374616d7001a4645479706569557064617465"
    "526f7764496e666fa16954696d657374616d701b00060a2418214d406a5072696d6172794b657981"
    "a26a436f6c756d6e4e616d656269646556616c75650267436f6c756d6e7382a46454797065704465"
    "6c6574654f6e6556657273696f6e6a436f6c756d6e4e616d6564676f6e656556616c7565f6695469"
    "6d657374616d701b0000018bcfe568c7a264547970657144656c657465416c6c56657273696f6e73"
    "6a436f6c756d6e4e616d6563616c6ca464547970656944656c657465526f7764496e666fa1695469"
    "6d657374616d701b00060a241822d3e06a5072696d6172794b657981a26a436f6c756d6e4e616d65"
    "6269646556616c75652267436f6c756d6e7380"
)

SYNC_V1 = {
    "Version": "Sync-v1",
    "Records": [
        {
            "Type": "PutRow",
            "Info": {"Timestamp": 1700000000123456},
            "PrimaryKey": [{"ColumnName": "id", "Value": 1}, {"ColumnName": "name", "Value": "ab"}],
            "Columns": [
                {"Type": "Put", "ColumnName": "n", "Value": -42, "Timestamp": 1700000000123},
                {"Type": "Put", "ColumnName": "big", "Value": 9007199254740993, "Timestamp": 1},
                {"Type": "Put", "ColumnName": "f", "Value": 1.5, "Timestamp": 1},
                {"Type": "Put", "ColumnName": "g", "Value": 100000.0, "Timestamp": 1},
                {"Type": "Put", "ColumnName": "pi", "Value": math.pi, "Timestamp": 1},
                {"Type": "Put", "ColumnName": "ok", "Value": False, "Timestamp": 1},
                {"Type": "Put", "ColumnName": "s", "Value": "h\u00e9llo", "Timestamp": 1},
                {"Type": "Put", "ColumnName": "raw", "Value": b"\x00\x01\xff", "Timestamp": 1},
            ],
        },
        {
            "Type": "UpdateRow",
            "Info": {"Timestamp": 1700000000200000},
            "PrimaryKey": [{"ColumnName": "id", "Value": 2}],
            "Columns": [
                {"Type": "DeleteOneVersion", "ColumnName": "gone", "Value": None, "Timestamp": 1700000000199},
                {"Type": "DeleteAllVersions", "ColumnName": "all"},
            ],
        },
        {
            "Type": "DeleteRow",
            "Info": {"Timestamp": 1700000000300000},
            "PrimaryKey": [{"ColumnName": "id", "Value": -3}],
            "Columns": [],
        },
    ],
}

MALFORMED = {
    "empty": "",
    "missing 1-byte argument": "18",
    "short 8-byte argument": "1b0000",
    "short text": "6261",
    "short array": "830102",
    "map without its value": "a16161",
    "unended indefinite array": "9f01",
    "unended indefinite map": "bf616101",
    "unended indefinite bytes": "5f4100",
    "text chunk in a byte string": "5f6161ff",
    "indefinite chunk": "5f5fffff",
    "lone break": "ff",
    "break as a map value": "bf6161ffff",
    "reserved 28": "1c",
    "reserved 29": "3d",
    "reserved 30": "5e",
    "indefinite integer": "1f",
    "indefinite negative": "3f",
    "indefinite tag": "df",
    "two-byte simple below 32": "f810",
    "unassigned simple": "f0",
    "unassigned simple 255": "f8ff",
    "truncated half": "f93c",
    "truncated double": "fb3ff1",
    "invalid UTF-8": "62c328",
    "trailing bytes": "0102",
    "huge array": "9bffffffffffffffff",
    "huge map": "bbffffffffffffffff",
    "huge byte string": "5bffffffffffffffff00",
    "unhashable map key": "a1810102",
    "tag without item": "c1",
}


class RfcVectors(unittest.TestCase):
    def test_appendix_a(self):
        for hex_text, expected in RFC_VECTORS:
            with self.subTest(hex_text):
                value = tablestore.loads(bytes.fromhex(hex_text))
                self.assertEqual(value, expected)
                self.assertIs(type(value), type(expected))

    def test_negative_zero_and_nan(self):
        self.assertEqual(math.copysign(1.0, tablestore.loads(bytes.fromhex("f98000"))), -1.0)
        for hex_text in ("f97e00", "fa7fc00000", "fb7ff8000000000000"):
            self.assertTrue(math.isnan(tablestore.loads(bytes.fromhex(hex_text))))

    def test_accepts_bytearray_and_memoryview(self):
        self.assertEqual(tablestore.loads(bytearray(b"\x83\x01\x02\x03")), [1, 2, 3])
        self.assertEqual(tablestore.loads(memoryview(b"\x61\x61")), "a")
        with self.assertRaises(TypeError):
            tablestore.loads("a0")


class SyncV1Event(unittest.TestCase):
    def test_decodes_the_event(self):
        self.assertEqual(tablestore.decode(bytes.fromhex(SYNC_V1_HEX)), SYNC_V1)

    def test_an_event_is_a_map(self):
        with self.assertRaisesRegex(ValueError, "is a CBOR map"):
            tablestore.decode(b"\x80")

    def test_every_truncation_is_an_error(self):
        data = bytes.fromhex(SYNC_V1_HEX)
        for end in range(len(data)):
            with self.assertRaises(ValueError):
                tablestore.decode(data[:end])

    def test_mutations_decode_or_raise_value_error(self):
        data = bytes.fromhex(SYNC_V1_HEX)
        rng = random.Random(8949)
        for _ in range(3000):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            try:
                tablestore.loads(bytes(mutated))
            except ValueError:
                pass


class Malformed(unittest.TestCase):
    def test_malformed_input_raises_value_error(self):
        for name, hex_text in MALFORMED.items():
            with self.subTest(name):
                with self.assertRaisesRegex(ValueError, r"^invalid CBOR at byte \d+: "):
                    tablestore.loads(bytes.fromhex(hex_text))

    def test_nesting_is_capped(self):
        depth = tablestore.MAX_DEPTH
        expected = 0
        for _ in range(depth):
            expected = [expected]
        self.assertEqual(tablestore.loads(b"\x81" * depth + b"\x00"), expected)
        for prefix in (b"\x81", b"\xa1\x00", b"\xc0", b"\x9f"):
            with self.subTest(prefix):
                with self.assertRaisesRegex(ValueError, "nested deeper than"):
                    tablestore.loads(prefix * (depth + 1) + b"\x00")
        with self.assertRaisesRegex(ValueError, "nested deeper than"):
            tablestore.loads(b"\x81" * 100000)


if __name__ == "__main__":
    unittest.main()
