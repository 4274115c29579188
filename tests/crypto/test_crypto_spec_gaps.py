"""The rules docs/PROTOCOL.md states so that a second implementation (the browser's) needs
nothing else: the word list file, receipt normalisation by code points, stream, bundle,
payload, base64 and day refusals. Each rule is checked against the vectors by crypto/ and by
the independent reader tests/crypto/spec_reader.py."""

import base64
import hashlib
import re
import sys
import unicodedata
from pathlib import Path

import pytest
import spec_reader as spec
from crypto_testkit import identity, vector
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import bundle, casefile, payload, receipt, stream
from crypto.encoding import b64decode, b64encode, check_day
from crypto.errors import CryptoError, MalformedError
from crypto.wordlist import WORDS, wordlist_bytes, wordlist_sha256
from report_form import catalogue

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
STREAMS, RECEIPTS, BUNDLES, PAYLOADS = (
    vector("stream"), vector("receipt"), vector("bundle"), vector("payload")
)  # fmt: skip


# -- the word list file -----------------------------------------------------------------------


def test_the_word_list_file_has_the_sha256_given_in_the_protocol() -> None:
    data = (ROOT / "crypto" / "wordlist.txt").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert f"`{digest}`" in PROTOCOL
    assert wordlist_sha256() == digest and wordlist_bytes() == data


def test_the_word_list_file_is_one_word_per_line_in_index_order() -> None:
    data = wordlist_bytes()
    assert data.endswith(b"\n") and b"\r" not in data and not data.startswith(b"\xef\xbb\xbf")
    assert tuple(data.decode("utf-8").split("\n")[:-1]) == WORDS == tuple(spec.WORDS)
    assert len(WORDS) == 2048 and list(WORDS) == sorted(WORDS)


# -- receipt normalisation by code points -----------------------------------------------------


def test_hard_normalisation_vectors_agree_with_the_spec_reader() -> None:
    for case in RECEIPTS["normalise"]:
        assert spec.normalise_receipt(case["typed"]) == case["canonical"], case["typed"]
    for typed in RECEIPTS["rejected"]:
        with pytest.raises(spec.SpecError):
            spec.normalise_receipt(typed)


def test_the_vectors_cover_the_hard_cases() -> None:
    typed = "".join(c["typed"] for c in RECEIPTS["normalise"])
    for needle in ("ß", "ẞ", "\uff21", "\u3000", "\u00a0", "\u2028", "-", "K"):
        assert needle in typed, needle
    assert any(re.search("[æøå]|a\u030a", r) for r in RECEIPTS["rejected"])


def _python_semantics(typed: str) -> str | None:
    """The definition the spec used before it was written as code points: Python's
    ``str.casefold`` and ``re``'s ``\\s``. Existing receipts must normalise exactly as then."""
    text = unicodedata.normalize("NFKC", typed).casefold().strip()
    words = [w for w in re.split(r"[\s\-_.,;:/·–—]+", text) if w]
    if len(words) != 8 or any(w not in set(WORDS) for w in words):
        return None
    return " ".join(words)


def _ours(typed: str) -> str | None:
    try:
        return receipt.normalise_receipt(typed)
    except CryptoError:
        return None


def test_separators_are_exactly_python_whitespace_and_the_listed_punctuation() -> None:
    every = (chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    python = {c for c in every if re.fullmatch(r"[\s\-_.,;:/·–—]", c)}
    assert python == receipt.SEPARATORS


def test_case_mapping_covers_every_character_that_folds_into_the_list_alphabet() -> None:
    """After NFKC, the only characters whose full case folding is made of a-z are a-z,
    A-Z, ß and ẞ: the explicit mapping loses nothing that casefold would have accepted."""
    folding = set()
    for c in range(sys.maxunicode + 1):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        if unicodedata.normalize("NFKC", ch) != ch:
            continue  # never appears after step 1
        folded = ch.casefold()
        if folded and all("a" <= x <= "z" for x in folded) and not "a" <= ch <= "z":
            folding.add(ch)
    assert folding == set(receipt.CASE_MAP)
    assert all(ch.casefold() == mapped for ch, mapped in receipt.CASE_MAP.items())


INTERESTING = st.sampled_from(
    [*"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "ß", "ẞ", "æ", "ø", "å", "Å",
     "\u030a", "\u212a", "\u017f", "\u0130", "\uff41", "\uff21", "\ufb01", " ", "\t", "\n",
     "\u3000", "\u00a0", "\u2009", "\u001c", "\u0085", "-", "_", ".", ",", ";", ":", "/",
     "·", "–", "—", "'", "+", "\u200b", "\u00a8"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_normalisation_equals_the_old_python_definition(data: st.DataObject) -> None:
    words = data.draw(st.lists(st.sampled_from(WORDS), min_size=7, max_size=9))
    seps = data.draw(st.lists(st.text(INTERESTING, max_size=3), min_size=len(words) + 1,
                              max_size=len(words) + 1))  # fmt: skip
    case = data.draw(st.sampled_from(["lower", "upper", "title", "ss"]))
    shaped = [
        {"lower": w, "upper": w.upper(), "title": w.title(), "ss": w.replace("ss", "ß")}[case]
        for w in words
    ]
    typed = seps[0] + "".join(w + s for w, s in zip(shaped, seps[1:], strict=True))
    assert _ours(typed) == _python_semantics(typed) == _spec(typed)


@settings(max_examples=300, deadline=None)
@given(st.text(INTERESTING, max_size=80))
def test_normalisation_equals_the_old_definition_on_any_text(typed: str) -> None:
    assert _ours(typed) == _python_semantics(typed) == _spec(typed)


def _spec(typed: str) -> str | None:
    try:
        return spec.normalise_receipt(typed)
    except spec.SpecError:
        return None


# -- streams: short streams and the last chunk's tag ------------------------------------------


@pytest.mark.parametrize("case", STREAMS["refused"], ids=lambda c: c["name"])
def test_refused_stream_vectors(case: dict[str, str]) -> None:
    key, size = bytes.fromhex(case["key"]), int(case["size"])
    data = base64.b64decode(case["ciphertext"])
    with pytest.raises(CryptoError) as ours:
        b"".join(stream.decrypt_stream(key, size, [data]))
    assert type(ours.value).__name__ == case["error"]
    with pytest.raises(spec.SpecError) as theirs:
        spec.decrypt_stream(key, size, data)
    assert theirs.value.kind == case["error"]


def test_stream_vectors_cover_short_streams_and_a_non_final_last_chunk() -> None:
    lengths = {len(base64.b64decode(c["ciphertext"])) for c in STREAMS["refused"]}
    assert {1, 3, 27, 28} <= lengths
    assert any(
        "MESSAGE" in c["name"] and c["error"] == "TruncatedError" for c in STREAMS["refused"]
    )


# -- bundles: blob order, digest text, days ---------------------------------------------------


def test_blob_order_is_free_readers_take_blobs_in_manifest_order() -> None:
    case = BUNDLES["inbound"]
    verify = bytes.fromhex(case["verify_key"])
    original = bundle.read_inbound(base64.b64decode(case["bundle"]), verify)
    reordered = base64.b64decode(BUNDLES["inbound_reordered"]["bundle"])
    assert reordered != base64.b64decode(case["bundle"])
    assert bundle.read_inbound(reordered, verify) == original
    manifest, blobs = spec.read_bundle(reordered, verify, "inbound")
    items = BUNDLES["inbound"]["parsed"]["items"]
    assert set(blobs) == {b["id"] for i in items for b in i["attachments"]} | {
        f"{i['id']}.envelope" for i in items
    }
    assert manifest["created_day"] == original.created_day


@pytest.mark.parametrize("case", BUNDLES["inbound_refused"], ids=lambda c: c["name"])
def test_refused_bundle_vectors(case: dict[str, str]) -> None:
    data = base64.b64decode(case["bundle"])
    verify = bytes.fromhex(BUNDLES["inbound"]["verify_key"])
    with pytest.raises(MalformedError):
        bundle.read_inbound(data, verify)
    if "digest" in case["name"]:
        with pytest.raises(spec.SpecError) as theirs:
            spec.read_bundle(data, verify, "inbound")
        assert theirs.value.kind == "MalformedError"


def test_day_vectors() -> None:
    for day in BUNDLES["days"]["valid"]:
        assert check_day(day) == spec.check_day(day) == day
    for day in BUNDLES["days"]["refused"]:
        with pytest.raises(MalformedError):
            check_day(day)
        with pytest.raises(spec.SpecError):
            spec.check_day(day)


# -- payloads and base64 ----------------------------------------------------------------------


def test_non_canonical_base64_is_refused() -> None:
    assert b64decode("AA==") == b"\0" and b64encode(b"\0") == "AA=="
    for text in ("AB==", "AAB=", "A" * 42 + "B="):
        with pytest.raises(MalformedError):
            b64decode(text)
        with pytest.raises(spec.SpecError):
            spec._b64(text, len(base64.b64decode(text)))


def test_optional_answers_may_be_empty_choices_may_not() -> None:
    pk = identity("reporter").public.encryption_key
    empty = payload.Report({"what_happened": "x", "when": "", "involved_roles": []}, pk)
    assert payload.decode_payload(payload.encode_payload(empty)) == empty
    assert any("empty optional" in c["name"] for c in PAYLOADS["cases"])
    for answers in ({"what_happened": ""}, {"what_happened": "x", "where": ""}):
        with pytest.raises(MalformedError):
            payload.check_answers(answers)


def test_involved_roles_are_distinct_so_at_most_eight() -> None:
    roles = catalogue.by_key(catalogue.QUESTIONS)["involved_roles"].values
    assert len(roles) == 8
    assert payload.check_answers({"what_happened": "x", "involved_roles": list(roles)})
    with pytest.raises(MalformedError):
        payload.check_answers({"what_happened": "x", "involved_roles": ["ansatt", "ansatt"]})


@pytest.mark.parametrize("handler", ["", "x" * 256, 7])
def test_sealed_case_file_handler_is_null_or_1_to_255_code_points(handler: object) -> None:
    good = casefile.encode_manifest(
        casefile.Manifest(
            case="thread-aaaa0001",
            created_day="2025-03-14",
            handler="x" * 255,
            files=(casefile.ManifestFile("saksmappe-thread-a.pdf", 1, "application/pdf",
                                         bytes(32)),),
        )
    )  # fmt: skip
    assert casefile.decode_manifest(good).handler == "x" * 255
    bad = good.replace(b'"handler":"' + b"x" * 255 + b'"', b'"handler":' + _json(handler))
    assert bad != good
    with pytest.raises(MalformedError):
        casefile.decode_manifest(bad)


def _json(value: object) -> bytes:
    import json

    return json.dumps(value).encode()
