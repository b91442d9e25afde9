"""Within a schema version only additive, optional changes are allowed. This finds the others."""

from __future__ import annotations


def breaking_changes(old: dict, new: dict, path: str = "") -> list[str]:
    """Ways in which `new` would reject or misread events valid under `old`."""
    old, new = _resolve(old, old), _resolve(new, new)
    return _compare(old, new, path, old_root=old, new_root=new)


def _compare(old: dict, new: dict, path: str, *, old_root: dict, new_root: dict) -> list[str]:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    problems: list[str] = []
    if _types(old) and _types(new) and not _types(old) <= _types(new):
        problems.append(f"{path or '<root>'}: type {sorted(_types(old))} became {sorted(_types(new))}")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, schema in old_props.items():
        where = f"{path}.{name}" if path else name
        if name not in new_props:
            problems.append(f"{where}: removed")
            continue
        problems += _compare(schema, new_props[name], where, old_root=old_root, new_root=new_root)
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{path}.{name}: became required" if path else f"{name}: became required")
    for keyword in ("anyOf", "oneOf"):
        if keyword in old and keyword in new and len(new[keyword]) < len(old[keyword]):
            problems.append(f"{path or '<root>'}: {keyword} lost alternatives")
    if "enum" in old and "enum" in new and not set(old["enum"]) <= set(new["enum"]):
        problems.append(f"{path or '<root>'}: enum lost {sorted(set(old['enum']) - set(new['enum']))}")
    for bound in ("maxLength", "maximum", "maxItems"):
        if bound in new and new[bound] < old.get(bound, float("inf")):
            problems.append(f"{path or '<root>'}: {bound} tightened")
    for bound in ("minLength", "minimum", "minItems"):
        if bound in new and new[bound] > old.get(bound, float("-inf")):
            problems.append(f"{path or '<root>'}: {bound} tightened")
    if "items" in old and "items" in new and isinstance(old["items"], dict):
        problems += _compare(old["items"], new["items"], f"{path}[]", old_root=old_root, new_root=new_root)
    return problems


def _resolve(schema: dict, root: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = root.get("$defs", {})[name]
    return schema


def _types(schema: dict) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if kind else set()
