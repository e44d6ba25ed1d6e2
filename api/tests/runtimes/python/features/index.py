# Exercises FC's Python conventions; the event's "action" picks what to do.
import json
import logging
import os
import sys

import helper
import mydep
from lib import util

INITIALIZED = 0


def initializer(context):
    global INITIALIZED
    INITIALIZED += 1
    logging.getLogger().info("initializer ran for %s", context.function.name)


def handler(event, context):
    action = json.loads(event).get("action", "context")
    if action == "context":
        logging.getLogger().info("logging line")
        print("print line")
        return {
            "event_type": type(event).__name__,
            "request_id": context.request_id,
            "credentials": [context.credentials.access_key_id, context.credentials.access_key_secret, context.credentials.security_token],
            "function": [context.function.name, context.function.handler, context.function.memory, context.function.timeout, context.function.initializer],
            "service": [context.service.name, context.service.log_project, context.service.log_store, context.service.qualifier, context.service.version_id],
            "region": context.region,
            "account_id": context.account_id,
            "env": os.environ.get("GREETING"),
            "helper": helper.shout("hi"),
            "dep": mydep.VERSION,
            "util": util.twice(21),
            "initialized": INITIALIZED,
            "python": sys.version_info[:2],
        }
    if action == "raise":
        raise ValueError("bad input")
    if action == "bytes":
        return b"\x00\x01raw"
    if action == "str":
        return "plain text"
    if action == "stdlib":
        import fractions
        import statistics
        return str(fractions.Fraction(1, 3) + statistics.mean([1, 2]))
    if action == "spin":
        while True:
            pass
    if action == "alloc":
        hoard = []
        while True:
            hoard.append(bytearray(16 << 20))
    if action == "net":
        import socket
        try:
            socket.create_connection(("127.0.0.1", int(json.loads(event)["port"])), timeout=2)
            return "connected"
        except OSError as error:
            return "refused: " + type(error).__name__
    if action == "write":
        try:
            with open("/code/new.txt", "w") as f:
                f.write("x")
            return "wrote"
        except OSError as error:
            return "read-only: " + type(error).__name__
    if action == "host":
        try:
            with open("/etc/passwd") as f:
                return "read " + f.read(10)
        except OSError as error:
            return "no host files: " + type(error).__name__
    return "unknown action"
