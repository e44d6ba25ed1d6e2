"""A real AMQP client (pika, from PyPI) for the broker tests.

    amqp_client.py declare VHOST QUEUE...      durable queues
    amqp_client.py publish VHOST QUEUE < bodies.json
        publishes each string of the JSON list, persistent, with a
        `timestamp_in_ms` header and a message id `m-<index>`
    amqp_client.py count VHOST QUEUE           ready messages (JSON number)
    amqp_client.py get VHOST QUEUE             takes every ready message (JSON list of bodies)

The broker is 127.0.0.1:5672, guest/guest (AMQP_HOST/AMQP_PORT override).
"""

import json
import os
import sys
import time

import pika


def connect(vhost):
    params = pika.ConnectionParameters(
        host=os.environ.get("AMQP_HOST", "127.0.0.1"),
        port=int(os.environ.get("AMQP_PORT", "5672")),
        virtual_host=vhost,
        credentials=pika.PlainCredentials("guest", "guest"),
    )
    return pika.BlockingConnection(params)


def main():
    action, vhost = sys.argv[1], sys.argv[2]
    connection = connect(vhost)
    channel = connection.channel()
    if action == "declare":
        for queue in sys.argv[3:]:
            channel.queue_declare(queue=queue, durable=True)
        print(json.dumps({"declared": sys.argv[3:]}))
    elif action == "publish":
        queue = sys.argv[3]
        channel.confirm_delivery()
        bodies = json.load(sys.stdin)
        for index, body in enumerate(bodies):
            channel.basic_publish(
                exchange="",
                routing_key=queue,
                body=body.encode(),
                properties=pika.BasicProperties(
                    delivery_mode=2,
                    message_id=f"m-{index}",
                    content_type="application/json" if body.startswith("{") else "text/plain",
                    headers={"timestamp_in_ms": int(time.time() * 1000)},
                ),
            )
        print(json.dumps({"published": len(bodies)}))
    elif action == "count":
        queue = sys.argv[3]
        print(json.dumps(channel.queue_declare(queue=queue, passive=True).method.message_count))
    elif action == "get":
        queue = sys.argv[3]
        bodies = []
        while True:
            method, _props, body = channel.basic_get(queue=queue, auto_ack=True)
            if method is None:
                break
            bodies.append(body.decode(errors="replace"))
        print(json.dumps(bodies))
    else:
        raise SystemExit(f"unknown action {action}")
    connection.close()


if __name__ == "__main__":
    main()
