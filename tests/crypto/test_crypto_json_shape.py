"""The JSON shape helpers in crypto/encoding.py that payloads, bundle manifests and the
sealed case file's manifest all use: what they accept, what they refuse, and the message."""

import pytest

from crypto.encoding import as_int, as_list, as_object, as_str, fields
from crypto.errors import MalformedError


def test_fields_takes_every_required_key_any_optional_and_nothing_else() -> None:
    assert fields({"a": 1}, {"a"}, ("b",), what="entry") == {"a": 1}
    assert fields({"a": 1, "b": 2}, {"a"}, ("b",), what="entry") == {"a": 1, "b": 2}
    for bad in ({}, {"b": 2}, {"a": 1, "c": 3}):
        with pytest.raises(MalformedError, match=r"^entry has missing or unexpected fields$"):
            fields(bad, {"a"}, ("b",), what="entry")
    with pytest.raises(MalformedError, match=r"^entry must be a JSON object$"):
        fields([("a", 1)], {"a"}, what="entry")
    with pytest.raises(MalformedError, match=r"^payload must be a JSON object$"):
        as_object("{}", "payload")


def test_as_str_bounds_in_code_points_and_refuses_a_lone_surrogate() -> None:
    assert as_str("æ" * 255, "name", 255, least=1) == "æ" * 255
    assert as_str("", "text", 10) == ""
    assert as_str("x" * 10**6, "id") == "x" * 10**6  # no bound given
    with pytest.raises(MalformedError, match=r"^name must be text of 1 to 255 characters$"):
        as_str("", "name", 255, least=1)
    with pytest.raises(MalformedError, match=r"^name must be text of 1 to 255 characters$"):
        as_str("x" * 256, "name", 255, least=1)
    with pytest.raises(MalformedError, match=r"^text must be text of at most 10 characters$"):
        as_str(7, "text", 10)
    with pytest.raises(MalformedError, match=r"^id must be text$"):
        as_str(None, "id")
    with pytest.raises(MalformedError, match="lone surrogate"):
        as_str("a\ud800", "text", 10)


def test_as_int_refuses_booleans_floats_and_values_out_of_range() -> None:
    assert as_int(0, "size", 0, 5) == 0 and as_int(5, "size", 0, 5) == 5
    for bad in (True, 1.0, "1", -1, 6, None):
        with pytest.raises(MalformedError, match=r"^size is outside 0 … 5$"):
            as_int(bad, "size", 0, 5)


def test_as_list_is_bounded() -> None:
    assert as_list([1, 2], "files", 2) == [1, 2]
    for bad in ([1, 2, 3], (1,), {"0": 1}, "[]"):
        with pytest.raises(MalformedError, match=r"^files must be a list of at most 2$"):
            as_list(bad, "files", 2)
