"""Write each event's JSON Schema into contracts/schemas/ (committed). `make schemas` runs this."""

import json
import sys
from pathlib import Path

from contracts.catalogue import events, json_schema, schema_name
from contracts.compat import breaking_changes

SCHEMA_DIR = Path(__file__).parent / "schemas"


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated() -> dict[str, str]:
    return {schema_name(t, v): render(json_schema(cls)) for (t, v), cls in events().items()}


def main() -> None:
    """Refuses to overwrite a committed schema with a breaking change: that needs a new version."""
    SCHEMA_DIR.mkdir(exist_ok=True)
    fresh = generated()
    refused = {name: problems for name, text in fresh.items()
               if (SCHEMA_DIR / name).exists()
               and (problems := breaking_changes(json.loads((SCHEMA_DIR / name).read_text()), json.loads(text)))}
    if refused:
        for name, problems in refused.items():
            print(f"{name}: breaking change, add a new version instead: {problems}", file=sys.stderr)
        sys.exit(1)
    for name, text in fresh.items():
        (SCHEMA_DIR / name).write_text(text)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
