"""Every registered event, imported once so the registry is complete."""


from contracts.envelope import REGISTRY, Envelope, EventPayload


def events() -> dict[tuple[str, int], type[EventPayload]]:
    return dict(sorted(REGISTRY.items()))


def schema_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def json_schema(payload_type: type[EventPayload]) -> dict:
    schema = Envelope[payload_type].model_json_schema(mode="serialization")  # type: ignore[valid-type]
    schema["title"] = f"{payload_type.__name__} in its envelope"
    schema["x-topic"] = payload_type.topic.value
    return schema
