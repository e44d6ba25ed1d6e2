# An async destination: prints what the function it follows returned.
import json


def handler(event, context):
    record = json.loads(event)
    print("DESTINATION " + record["responsePayload"])
    return "ok"
