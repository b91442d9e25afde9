"""AsyncAPI 3.0 documents of what each service sends and receives, and docs/events.md, from one source: the
event registry (contracts) and the consumers each service's `handlers.register()` returns.

FastStream can write AsyncAPI from a broker's subscribers and publishers, but of ours it would know little:
our consumers are attached in the lifespan and take raw record batches (so it sees no payload type), and
events leave through the outbox relay's producer, not through FastStream publishers. So the documents are
built here: a service sends every event on the topics it owns (the topic's first segment is the owner) and
the dead letters of what it consumes; it receives, per consumer, the event versions it has handlers for.

A running service serves its document (built from its live consumers) at /asyncapi.json and as a page at
/asyncapi; `make docs` (`python -P -m siji_shared.asyncapi docs`) writes the same documents for every service,
built from `register()` with an unconnected container, and the event catalogue beside them.
"""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import json
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

from contracts.catalogue import events, json_schema
from contracts.envelope import EventPayload
from contracts.export import render
from contracts.topics import Topic, dead_letter_of
from siji_shared.consumer import EventConsumer
from siji_shared.dead_letters import REASON

SERVICES = ("eligibility", "disbursement", "reconciliation", "loans", "cooling", "audit")
KAFKA_BINDING = "0.5.0"
DEAD_LETTER = "DeadLetter"
DEAD_LETTER_HEADERS = (REASON, "dlt-source-topic", "dlt-source-partition", "dlt-source-offset", "dlt-consumer-group")


def owner(topic: str) -> str:
    return topic.split(".", 1)[0]


def events_on(topic: str) -> list[type[EventPayload]]:
    return [cls for cls in events().values() if cls.topic.value == topic]


def key_of(payload_type: type[EventPayload]) -> str:
    """What the event's Kafka key is, read from its partition_key(): `payment_id`, `payment:{payment_id}`."""
    source = ast.parse(textwrap.dedent(inspect.getsource(payload_type.partition_key)))
    returned = next(node.value for node in ast.walk(source) if isinstance(node, ast.Return) and node.value)
    return _readable(returned).replace("self.", "")


def _readable(node: ast.expr) -> str:
    """`str(x)` as `x`, an f-string as its text with the fields in braces, anything else as written."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and len(node.args) == 1:
        return _readable(node.args[0])
    if isinstance(node, ast.JoinedStr):
        return "".join(f"{{{_readable(part.value)}}}" if isinstance(part, ast.FormattedValue) else str(part.value)
                       for part in node.values if isinstance(part, ast.FormattedValue | ast.Constant))
    return ast.unparse(node)


def document(service: str, consumers: Iterable[EventConsumer]) -> dict[str, Any]:
    """The service's AsyncAPI 3.0 document. Channels list every event their topic carries; operations,
    the ones this service sends or handles. Schemas are the contracts' JSON Schemas, envelope included."""
    consumers = list(consumers)
    sent = [topic.value for topic in Topic if owner(topic.value) == service]
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic in sent:
        channels[_channel_id(topic)] = _channel(topic, events_on(topic), messages, schemas)
        operations[f"send_{_channel_id(topic)}"] = _operation("send", topic, events_on(topic))
    for consumer in consumers:
        topic = str(consumer.topic)
        channels[_channel_id(topic)] = _channel(topic, events_on(topic), messages, schemas)
        handled = sorted(consumer.handlers, key=lambda t: (t.event_type, t.schema_version))
        operations[f"receive_{_channel_id(topic)}"] = _operation(
            "receive", topic, handled, group=consumer.group_id,
            summary=f"consumer group {consumer.group_id}: skips the other events by their event-type header")
        channels[_channel_id(dead_letter_of(topic))] = _dead_letter_channel(topic, messages)
        operations[f"send_{_channel_id(dead_letter_of(topic))}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{_channel_id(dead_letter_of(topic))}"},
            "summary": "events this consumer cannot decode, or that break a business rule",
            "messages": [{"$ref": f"#/channels/{_channel_id(dead_letter_of(topic))}/messages/{DEAD_LETTER}"}]}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": f"Siji {service}", "version": version("siji"),
                 "description": f"The events the {service} service publishes (through its transactional outbox) "
                                f"and consumes. Every event is JSON in the envelope of contracts.envelope, with an "
                                f"event-type header; its Kafka key is the envelope's key."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _channel_id(topic: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", topic)


def _channel(topic: str, payloads: list[type[EventPayload]], messages: dict, schemas: dict) -> dict[str, Any]:
    for cls in payloads:
        messages[cls.__name__] = _message(cls, schemas)
    return {"address": topic, "title": topic, "description": f"produced by {owner(topic)}",
            "messages": {cls.__name__: {"$ref": f"#/components/messages/{cls.__name__}"} for cls in payloads}}


def _message(cls: type[EventPayload], schemas: dict) -> dict[str, Any]:
    schema = json.loads(json.dumps(json_schema(cls)).replace('"#/$defs/', '"#/components/schemas/'))
    for name, definition in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are both named {name}")
    schemas[f"{cls.__name__}Envelope"] = schema
    message = {"name": f"{cls.event_type}.v{cls.schema_version}", "title": cls.__name__,
               "payload": {"$ref": f"#/components/schemas/{cls.__name__}Envelope"},
               "headers": {"type": "object", "properties": {"event-type": {"const": cls.event_type},
                                                            "content-type": {"const": "application/json"}}},
               "bindings": {"kafka": {"key": {"type": "string", "description": key_of(cls)},
                                      "bindingVersion": KAFKA_BINDING}}}
    if cls.__doc__:
        message["summary"] = " ".join(cls.__doc__.split())
    return message


def _dead_letter_channel(topic: str, messages: dict) -> dict[str, Any]:
    messages[DEAD_LETTER] = {
        "name": "dead-letter", "title": "A dead letter",
        "summary": "The original record's bytes, key and headers, unchanged, plus why and where it came from; "
                   "re-driven to its source topic by `siji dead-letters redrive` once the cause is fixed.",
        "payload": {"description": "the original record's value, as it was (it may not be JSON)"},
        "headers": {"type": "object", "properties": {name: {"type": "string"} for name in DEAD_LETTER_HEADERS}},
    }
    return {"address": dead_letter_of(topic), "title": dead_letter_of(topic),
            "description": f"dead letters of {topic}, written by its consumers",
            "messages": {DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}}}


def _operation(action: str, topic: str, payloads: list[type[EventPayload]], *, group: str | None = None,
               summary: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "action": action, "channel": {"$ref": f"#/channels/{_channel_id(topic)}"},
        "messages": [{"$ref": f"#/channels/{_channel_id(topic)}/messages/{cls.__name__}"} for cls in payloads]}
    if summary:
        operation["summary"] = summary
    if group:
        operation["bindings"] = {"kafka": {"groupId": {"type": "string", "enum": [group]},
                                           "bindingVersion": KAFKA_BINDING}}
    return operation


class _Unconnected:
    """Stands in for a service's container: register() only hands its collaborators to the handlers it
    makes, and no handler runs here."""

    def __getattr__(self, name: str) -> None:
        return None


def consumers_of(service: str) -> list[EventConsumer]:
    """The service's consumers, without Kafka or PostgreSQL. The library imports a service only here, by
    name, for the documents: services depend on it, never the other way round."""
    return importlib.import_module(f"{service}.handlers").register(_Unconnected())


def page(doc: Mapping[str, Any]) -> str:
    """The document as one self-contained HTML page: no script, nothing fetched from anywhere."""
    e = html.escape
    channels, messages = doc["channels"], doc["components"]["messages"]
    operations = "".join(
        f"<tr><td>{e(op['action'])}</td><td><a href='#{_last(op['channel'])}'>"
        f"{e(channels[_last(op['channel'])]['address'])}</a></td><td>{e(', '.join(_groups(op)))}</td>"
        f"<td>{', '.join(_link(_last(m)) for m in op['messages'])}</td></tr>"
        for op in doc["operations"].values())
    channel_sections = "".join(
        f"<section id='{e(cid)}'><h3>{e(channel['address'])}</h3><p>{e(channel['description'])}</p>"
        f"<p>{', '.join(_link(_last(m)) for m in channel['messages'].values())}</p></section>"
        for cid, channel in channels.items())
    message_sections = "".join(
        f"<section id='msg-{e(name)}'><h3>{e(message['title'])} <code>{e(message['name'])}</code></h3>"
        f"<p>{e(message.get('summary', ''))}</p>"
        + (f"<p>Key: <code>{e(key['description'])}</code></p>"
           if (key := message.get("bindings", {}).get("kafka", {}).get("key")) else "")
        + f"<details><summary>Schema</summary><pre>"
          f"{e(json.dumps(_schemas_of(doc, message), indent=2, ensure_ascii=False))}</pre></details></section>"
        for name, message in messages.items())
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(doc['info']['title'])} events"
            f"</title><style>{STYLE}</style></head><body><h1>{e(doc['info']['title'])}: events</h1>"
            f"<p>{e(doc['info']['description'])}</p><p>AsyncAPI {e(doc['asyncapi'])}: "
            f"<a href='asyncapi.json'>asyncapi.json</a> · HTTP API: <a href='docs'>docs</a></p>"
            f"<h2>Operations</h2><table><tr><th>action</th><th>channel</th><th>consumer group</th>"
            f"<th>messages</th></tr>{operations}</table><h2>Channels</h2>{channel_sections}"
            f"<h2>Messages</h2>{message_sections}</body></html>\n")


STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;line-height:1.4}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;"
         "vertical-align:top}pre{background:#f6f6f6;padding:.5rem;overflow:auto}section{margin-bottom:1rem}")


def _last(reference: Mapping[str, str]) -> str:
    return reference["$ref"].rsplit("/", 1)[-1]


def _groups(operation: Mapping[str, Any]) -> list[str]:
    return operation.get("bindings", {}).get("kafka", {}).get("groupId", {}).get("enum", [])


def _link(message: str) -> str:
    return f"<a href='#msg-{html.escape(message)}'>{html.escape(message)}</a>"


def _schemas_of(doc: Mapping[str, Any], message: Mapping[str, Any]) -> dict[str, Any]:
    """A message's payload schema with every schema it refers to, by name."""
    found: dict[str, Any] = {}
    pending = [_last(message["payload"])] if "$ref" in message["payload"] else []
    while pending:
        name = pending.pop()
        if name not in found:
            found[name] = doc["components"]["schemas"][name]
            pending += re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(found[name]))
    return found or {"payload": message["payload"]}


def catalogue(consumers: Mapping[str, list[EventConsumer]]) -> str:
    """docs/events.md: every topic, its producer and key, its events and the consumer groups of each."""
    def groups(topic: str, cls: type[EventPayload] | None = None) -> str:
        return ", ".join(sorted({c.group_id for cs in consumers.values() for c in cs
                                 if c.topic == topic and (cls is None or cls in c.handlers)})) or "none"

    lines = ["# Events", "",
             "Generated by `make docs` (`siji_shared.asyncapi`) from the event registry in `contracts` and each "
             "service's `handlers.register()`; do not edit. Each service's AsyncAPI document is in `asyncapi/` "
             "and served by the service at `/asyncapi.json` (a page at `/asyncapi`).", "",
             "Every event is JSON in the envelope of `contracts.envelope`, sent with an `event-type` header; its "
             "Kafka key is the envelope's `key` (below, as the payload's `partition_key()` makes it). Each topic "
             "has a dead-letter twin, `<topic>.dlt`, written by its consumers.", "",
             "| Topic | Producer | Consumer groups |", "| --- | --- | --- |"]
    lines += [f"| [`{t.value}`](#{t.value.replace('.', '')}) | {owner(t.value)} | {groups(t.value)} |" for t in Topic]
    for topic in Topic:
        lines += ["", f"## {topic.value}", "", f"Produced by {owner(topic.value)}; dead letters in "
                  f"`{topic.dead_letter}`.", "", "| Event | Version | Payload | Key | Consumer groups |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{cls.event_type}` | {cls.schema_version} | `{cls.__name__}` | `{key_of(cls)}` | "
                  f"{groups(topic.value, cls)} |" for cls in events_on(topic.value)]
    return "\n".join(lines) + "\n"


def generated() -> dict[str, str]:
    """Every file `make docs` writes, by its path under docs/."""
    consumers = {service: consumers_of(service) for service in SERVICES}
    files = {f"asyncapi/{service}.json": render(document(service, cs)) for service, cs in consumers.items()}
    files["events.md"] = catalogue(consumers)
    return files


def main(docs: Path) -> None:
    for name, text in generated().items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text)
        print(f"wrote {docs / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
