"""Strict answers JSON: each refusal names the field that holds the value, never the value."""

from __future__ import annotations

import pytest

from greentic_iac.cli.answers_document import MAX_DEPTH, parse_answers_text
from greentic_iac.errors import InvalidInputError


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "f: (document): duplicate key 'a'"),
        ('{"a": {"b": [{"c": 1, "c": 1}]}}', "f: a.b[0]: duplicate key 'c'"),
        ('{"a": [1, NaN]}', "f: a[1]: NaN is not a number (only finite numbers are allowed)"),
        ('{"a": Infinity}', "f: a: Infinity is not a number (only finite numbers are allowed)"),
        ('{"a": -1e999}', "f: a: number out of range (not a finite 64-bit float)"),
        ('{"a": 9223372036854775808}', "f: a: integer out of range"),
        ('{"a": -' + "9" * 5000 + "}", "f: a: integer out of range"),
        ('{"a": "x\\u0000y"}', "f: a: contains a NUL character"),
        ('{"a": ["ok", "\\udfff"]}', "f: a[1]: contains a lone surrogate"),
        ('{"\\ud800": 1}', "f: (document): a key contains a lone surrogate"),
        ('{"s": {"\\ud800": 1, "\\ud800": 2}}', "f: s: a key appears twice"),
        ("[" * 100_000, f"f: (document): nested deeper than {MAX_DEPTH} levels"),
        ('{"a": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}", "f: a[0][0]"),
        ('{"a": 1', "f: not valid JSON (line 1, column 8: Expecting ',' delimiter)"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_answers_text(text, "f")
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_first_problem_in_document_order_is_named() -> None:
    with pytest.raises(InvalidInputError, match=r"^f: a\[0\]: NaN"):
        parse_answers_text('{"a": [NaN], "b": "\\u0000"}', "f")


def test_what_json_means_is_kept() -> None:
    document = parse_answers_text(
        '{"a": [1, 2.5, -9223372036854775807, true, null, "é\\u00e9"],'
        ' "b": {"c": {}}, "d": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}",
        "f",
    )
    assert document["a"] == [1, 2.5, -9223372036854775807, True, None, "éé"]
    assert type(document) is dict and type(document["b"]) is dict
