// A TableStore trigger handler: FC's CBOR event decoded in one line.
const { decode } = require('wasm-fc/tablestore');

exports.handler = (event, context, callback) => {
  const batch = decode(event);
  for (const record of batch.Records) {
    const pk = record.PrimaryKey.map((c) => ({ name: c.ColumnName, value: c.Value }));
    // Integers past 2^53 decode as BigInt, which JSON.stringify refuses: write them as text.
    const json = JSON.stringify({ version: batch.Version, type: record.Type, pk }, (_, v) =>
      typeof v === 'bigint' ? v.toString() : v);
    console.log('record ' + json);
  }
  callback(null, 'ok');
};
