"""Key-rotation statements (docs/PROTOCOL.md, "Key rotation"): crypto/ and the spec reader
agree on tests/vectors/rotation.json, in both directions, and refuse the same statements."""

import base64
from typing import Any

import pytest
import spec_reader
from crypto_testkit import vector

from crypto import keys, rotation
from crypto.errors import CryptoError

ROTATION = vector("rotation")


def b64(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.mark.parametrize("case", ROTATION["valid"])
def test_valid_statements_both_ways(case: dict[str, str]) -> None:
    old = keys.SecretIdentity(
        encryption_secret=b64(case["old_encryption_secret"]),
        signing_seed=b64(case["old_signing_seed"]),
    )
    new = keys.PublicIdentity(b64(case["new_encryption_key"]), b64(case["new_verify_key"]))
    statement = b64(case["statement"])
    assert rotation.sign_rotation(old, new) == statement
    assert rotation.read_rotation(statement, b64(case["old_verify_key"])) == new
    assert spec_reader.read_rotation(statement, b64(case["old_verify_key"])) == (
        new.encryption_key,
        new.verify_key,
    )
    # The new key cannot vouch for itself, and a stranger's key is not the current one.
    with pytest.raises(CryptoError):
        rotation.read_rotation(statement, new.verify_key)


@pytest.mark.parametrize("case", ROTATION["invalid"], ids=lambda c: c["why"])
def test_refused_statements_agree(case: dict[str, Any]) -> None:
    statement, current = b64(case["statement"]), b64(case["current_verify_key"])
    with pytest.raises(CryptoError) as ours:
        rotation.read_rotation(statement, current)
    assert type(ours.value).__name__ == case["error"]
    with pytest.raises(spec_reader.SpecError) as theirs:
        spec_reader.read_rotation(statement, current)
    assert theirs.value.kind == case["error"]


def test_fresh_statements_agree() -> None:
    old, new = keys.SecretIdentity.generate(), keys.SecretIdentity.generate()
    statement = rotation.sign_rotation(old, new.public)
    assert spec_reader.read_rotation(statement, old.public.verify_key) == (
        new.public.encryption_key,
        new.public.verify_key,
    )
