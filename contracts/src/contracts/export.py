"""Write each event's JSON Schema into contracts/schemas/ (committed). `make schemas` runs this."""

import json
from pathlib import Path

from contracts.catalogue import events, json_schema, schema_name

SCHEMA_DIR = Path(__file__).parent / "schemas"


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated() -> dict[str, str]:
    return {schema_name(t, v): render(json_schema(cls)) for (t, v), cls in events().items()}


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, text in generated().items():
        (SCHEMA_DIR / name).write_text(text)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
