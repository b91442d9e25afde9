"""Field types shared by payloads. Money is integer fen, never a float."""

from typing import Annotated

from pydantic import Field

Fen = Annotated[int, Field(strict=True, ge=0, description="CNY in integer fen")]
PositiveFen = Annotated[int, Field(strict=True, gt=0, description="CNY in integer fen, above zero")]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Sealed = Annotated[str, Field(pattern=r"^sealed:v[0-9]+:[A-Za-z0-9_-]+$", max_length=1000,
                               description="personal data sealed for the consuming service (siji_shared.sealed)")]
