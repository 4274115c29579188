"""Receipts resist offline guessing; key files are stretched too.

docs/THREAT-MODEL.md, requirement 3.
"""

import math
import re
from collections import Counter

import nacl.pwhash
import pytest

from crypto import keys, receipt, wrap
from crypto.errors import MalformedError, ReceiptFormatError, TamperedError
from crypto.wordlist import WORDS


def test_word_list_properties() -> None:
    assert len(WORDS) == 2048
    assert len(set(WORDS)) == 2048
    assert list(WORDS) == sorted(WORDS)
    assert all(re.fullmatch(r"[a-z]{3,8}", w) for w in WORDS)


def test_receipt_entropy_is_at_least_88_bits() -> None:
    bits = receipt.WORD_COUNT * math.log2(len(set(WORDS)))
    assert bits >= 88
    assert receipt.ENTROPY_BITS == bits


def test_generated_receipts_are_eight_listed_words() -> None:
    listed = set(WORDS)
    for _ in range(50):
        text = receipt.generate_receipt()
        words = text.split(" ")
        assert len(words) == 8 and all(w in listed for w in words)
        assert receipt.normalise_receipt(text) == text


def test_generated_receipts_look_uniform() -> None:
    samples = [receipt.generate_receipt().split(" ") for _ in range(2000)]
    assert len({" ".join(s) for s in samples}) == 2000
    for position in range(8):
        column = Counter(s[position] for s in samples)
        # 2000 draws from 2048 words: ~1270 distinct expected; a stuck or biased source fails.
        assert len(column) > 1100, position
        assert column.most_common(1)[0][1] < 12, position
    everywhere = Counter(w for s in samples for w in s)
    assert len(everywhere) > 2000  # 16 000 draws reach nearly every word


def test_argon2_parameters_are_at_least_64_mib() -> None:
    assert receipt.MEMLIMIT >= 64 * 1024 * 1024
    assert receipt.OPSLIMIT >= 3
    assert receipt.SALT_BYTES == 16
    assert keys.SECRET_MEMLIMIT >= 64 * 1024 * 1024
    assert keys.MIN_MEMLIMIT >= 64 * 1024 * 1024
    assert keys.MIN_OPSLIMIT >= 2
    assert keys.SECRET_MEMLIMIT == nacl.pwhash.argon2id.MEMLIMIT_MODERATE


def test_domain_strings_are_distinct_and_as_specified() -> None:
    assert receipt.LOGIN_DOMAIN == b"varsel/v1/receipt/login"
    assert receipt.REPORTER_KEY_DOMAIN == b"varsel/v1/receipt/reporter-x25519"
    assert receipt.LOOKUP_DOMAIN == b"varsel/v1/receipt/lookup"
    assert keys.FINGERPRINT_DOMAIN == b"varsel-public-key/v1\n"


@pytest.mark.parametrize(
    "typed",
    ["", "alle " * 7, "alle " * 9, "alle " * 7 + "zzz", "alle " * 7 + "alle2", "alle,,,," * 3],
)
def test_non_receipts_are_refused(typed: str) -> None:
    with pytest.raises(ReceiptFormatError):
        receipt.normalise_receipt(typed)


def test_derivation_needs_a_16_byte_salt_and_a_32_byte_pepper() -> None:
    text = receipt.generate_receipt()
    with pytest.raises(MalformedError):
        receipt.derive_receipt_keys(text, bytes(15))
    with pytest.raises(MalformedError):
        receipt.login_hash(bytes(32), bytes(16))


def test_receipt_keys_do_not_print_secrets() -> None:
    derived = receipt.derive_receipt_keys(receipt.generate_receipt(), bytes(16))
    assert derived.login_key.hex() not in repr(derived)
    assert "secret" in repr(derived)
    ident = keys.SecretIdentity.generate()
    assert ident.signing_seed.hex() not in repr(ident)


def test_wrap_refuses_a_wrong_key_and_truncation() -> None:
    wrapped = wrap.wrap(wrap.new_key(), b"session secret")
    with pytest.raises(TamperedError):
        wrap.unwrap(wrap.new_key(), wrapped)
    with pytest.raises(MalformedError):
        wrap.unwrap(wrap.new_key(), wrapped[:39])
