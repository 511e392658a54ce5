"""``PackDescriptor``: the open string ``<namespace>.<family>.<impl>@<semver>`` (seed 001).

Lowercase ASCII, digits, ``-`` and ``.`` only; exactly one ``@``; valid SemVer after it.
The part before ``@`` (``path``) is the registry key; for core slots the family segment
is the slot name, for extensions it is free (``acme.oauth.auth0``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from greentic_iac.spec.semver import SemVer

_SEGMENT = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_ALLOWED = re.compile(r"^[a-z0-9.@+-]+$")
DESCRIPTOR_PATTERN = r"^[a-z0-9-]+(\.[a-z0-9-]+){2,}@[0-9A-Za-z.+-]+$"
MAX_DESCRIPTOR_LENGTH = 200


@dataclass(frozen=True)
class PackDescriptor:
    path: str
    version: SemVer

    @classmethod
    def parse(cls, text: str) -> PackDescriptor:
        if len(text) > MAX_DESCRIPTOR_LENGTH:
            raise ValueError(f"descriptor is longer than {MAX_DESCRIPTOR_LENGTH} characters")
        if text.count("@") != 1:
            raise ValueError(
                f"{text!r} is not a pack descriptor: expected exactly one '@' "
                "(<namespace>.<slot>.<impl>@<semver>)"
            )
        path, version_text = text.split("@")
        if not _ALLOWED.fullmatch(path) or any(c in path for c in "+@"):
            raise ValueError(
                f"{text!r} is not a pack descriptor: the path allows lowercase ASCII letters, "
                "digits, '-' and '.' only"
            )
        segments = path.split(".")
        if len(segments) < 3 or not all(_SEGMENT.fullmatch(s) for s in segments):
            raise ValueError(
                f"{text!r} is not a pack descriptor: the path needs at least three non-empty "
                "dot-separated segments (<namespace>.<slot>.<impl>)"
            )
        try:
            version = SemVer.parse(version_text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a pack descriptor: {version_text!r} is not a valid SemVer version"
            ) from None
        if version_text != version_text.lower():
            raise ValueError(f"{text!r} is not a pack descriptor: it must be lowercase")
        return cls(path, version)

    @property
    def namespace(self) -> str:
        return self.path.split(".")[0]

    @property
    def family(self) -> str:
        """The second segment: the slot name for core packs, free for extensions."""
        return self.path.split(".")[1]

    def __str__(self) -> str:
        return f"{self.path}@{self.version}"

    # pydantic integration: validated from and serialised to its string form.
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def coerce(value: Any) -> PackDescriptor:
            if isinstance(value, PackDescriptor):
                return value
            if not isinstance(value, str):
                raise ValueError("a pack descriptor must be a string")
            return cls.parse(value)

        return core_schema.no_info_plain_validator_function(
            coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": DESCRIPTOR_PATTERN,
            "maxLength": MAX_DESCRIPTOR_LENGTH,
            "description": "<namespace>.<slot>.<impl>@<semver>",
            "examples": ["greentic.deployer.local-process@0.1.0"],
        }
