# A TableStore trigger handler: FC's CBOR event decoded in one line.
import json

from fc_tablestore import decode


def handler(event, context):
    batch = decode(event)
    for record in batch["Records"]:
        pk = [{"name": c["ColumnName"], "value": c["Value"]} for c in record["PrimaryKey"]]
        print("record " + json.dumps({"version": batch["Version"], "type": record["Type"], "pk": pk}))
    return "ok"
