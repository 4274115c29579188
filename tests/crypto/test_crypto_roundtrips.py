"""Property tests: every format reads back what it wrote."""

from typing import Any

import pytest
from crypto_testkit import identity
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crypto import bundle, envelope, keys, payload, receipt, stream, wrap
from crypto.errors import MalformedError, NotARecipientError, WrongPassphraseError
from crypto.padding import MIN_BUCKET, POW2_LIMIT, padded_size
from crypto.wordlist import WORDS
from report_form import catalogue

SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RECIPIENTS = [identity(f"recipient {i}") for i in range(17)]

# -- padding ---------------------------------------------------------------------------------

lengths = st.one_of(
    st.integers(0, 4096),
    st.integers(0, 1 << 22),
    st.integers(0, 1 << 40),
    st.sampled_from([MIN_BUCKET, POW2_LIMIT, POW2_LIMIT + 1]).flatmap(
        lambda n: st.integers(n - 2, n + 2)
    ),
)


@given(lengths, lengths)
def test_padding_is_monotonic_and_a_bucket(a: int, b: int) -> None:
    pa = padded_size(a)
    assert pa >= a and pa >= MIN_BUCKET
    assert padded_size(pa) == pa  # a bucket pads to itself
    if a <= b:
        assert pa <= padded_size(b)
    if a <= POW2_LIMIT:
        assert pa & (pa - 1) == 0  # a power of two
    else:
        assert pa - a < a * 0.12  # Padmé: under 12 % overhead
    # Every length between a and its bucket shares the bucket.
    assert padded_size(max(0, pa - 1)) == pa or pa == MIN_BUCKET


def test_padding_refuses_negative_lengths() -> None:
    with pytest.raises(ValueError):
        padded_size(-1)


# -- envelopes -------------------------------------------------------------------------------


@SLOW
@given(st.binary(max_size=70_000), st.integers(1, 16), st.data())
def test_envelope_round_trip(payload_bytes: bytes, count: int, data: st.DataObject) -> None:
    recipients = RECIPIENTS[:count]
    sealed = envelope.seal(payload_bytes, [r.public.encryption_key for r in recipients])
    assert envelope.recipient_count(sealed) == count
    assert len(sealed) == 29 + 80 * count + padded_size(4 + len(payload_bytes)) + 16
    who = recipients[data.draw(st.integers(0, count - 1))]
    assert envelope.open_envelope(sealed, who.public.encryption_key, who.encryption_secret) == (
        payload_bytes
    )
    outsider = RECIPIENTS[16]
    with pytest.raises(NotARecipientError):
        envelope.open_envelope(sealed, outsider.public.encryption_key, outsider.encryption_secret)


def test_envelope_recipient_limits() -> None:
    pk = RECIPIENTS[0].public.encryption_key
    with pytest.raises(ValueError):
        envelope.seal(b"x", [])
    with pytest.raises(ValueError):
        envelope.seal(b"x", [pk] * 17)


# -- streams ---------------------------------------------------------------------------------

CHUNK = stream.CHUNK
stream_sizes = st.one_of(
    st.just(0),
    st.integers(0, 3 * CHUNK),
    st.sampled_from([1024, CHUNK, 2 * CHUNK, 4 * CHUNK]).flatmap(
        lambda n: st.integers(max(0, n - 2), n + 2)
    ),
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    pieces, start = [], 0
    for p in [*points, len(data)]:
        pieces.append(data[start:p])
        start = p
    return pieces


@SLOW
@given(
    size=stream_sizes,
    enc_cuts=st.lists(st.integers(0, 5 * CHUNK), max_size=6),
    dec_cuts=st.lists(st.integers(0, 6 * CHUNK), max_size=6),
)
def test_stream_round_trip_with_any_piece_split(
    size: int, enc_cuts: list[int], dec_cuts: list[int]
) -> None:
    key = stream.new_key()
    file = bytes((i * 31 + 7) % 256 for i in range(size))
    encryptor = stream.StreamEncryptor(key)
    out = [encryptor.update(piece) for piece in split(file, enc_cuts)]
    out.extend(encryptor.finish())
    cipher = b"".join(out)
    assert encryptor.size == size
    assert len(cipher) == stream.encrypted_size(size)
    decryptor = stream.StreamDecryptor(key, size)
    plain = [decryptor.update(piece) for piece in split(cipher, dec_cuts)]
    plain.append(decryptor.finish())
    assert b"".join(plain) == file


def test_stream_encryptor_refuses_use_after_finish() -> None:
    encryptor = stream.StreamEncryptor(stream.new_key())
    list(encryptor.finish())
    with pytest.raises(ValueError):
        encryptor.update(b"x")
    with pytest.raises(ValueError):
        list(encryptor.finish())


# -- payloads --------------------------------------------------------------------------------

texts = st.text(max_size=200)
ids = st.from_regex(r"\A[A-Za-z0-9_-]{8,20}\Z")
attachment_refs = st.builds(
    payload.AttachmentRef,
    name=st.text(max_size=40),
    size=st.integers(0, payload.MAX_FILE_SIZE),
    media_type=st.text(max_size=40),
    key=st.binary(min_size=32, max_size=32),
    blob=ids,
)


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"what_happened": draw(st.text(min_size=1, max_size=200))}
    for question in catalogue.QUESTIONS:
        key, choices = question.key, question.values
        if key == "what_happened" or not draw(st.booleans()):
            continue
        if question.kind is catalogue.SEVERAL:
            out[key] = draw(st.lists(st.sampled_from(choices), max_size=4, unique=True))
        elif question.kind in catalogue.FREE_TEXT:
            out[key] = draw(texts)
        else:
            out[key] = draw(st.sampled_from(choices))
    return out


payloads = st.one_of(
    st.builds(
        payload.Report,
        answers=answers(),
        reporter_public_key=st.binary(min_size=32, max_size=32),
        attachments=st.lists(attachment_refs, max_size=3).map(tuple),
    ),
    st.builds(
        payload.Message,
        text=texts,
        reporter_public_key=st.binary(min_size=32, max_size=32),
        attachments=st.lists(attachment_refs, max_size=3).map(tuple),
    ),
    st.builds(payload.Reply, text=texts),
    st.builds(payload.OwnCopy, text=texts, file_names=st.lists(texts, max_size=4).map(tuple)),
)


@given(payloads)
def test_payload_round_trip(p: payload.Payload) -> None:
    data = payload.encode_payload(p)
    assert payload.decode_payload(data) == p
    assert payload.encode_payload(payload.decode_payload(data)) == data


@given(st.binary(max_size=300))
def test_payload_decoder_refuses_noise_cleanly(data: bytes) -> None:
    try:
        payload.decode_payload(data)
    except MalformedError:
        pass


# -- bundles ---------------------------------------------------------------------------------

days = st.dates().map(lambda d: d.isoformat()).filter(lambda s: len(s) == 10)
statuses = st.sampled_from(["received", "acknowledged", "in_progress", "closed"])


@st.composite
def inbound_bundles(draw: st.DrawFn) -> bundle.InboundBundle:
    thread_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    threads = tuple(
        bundle.InboundThread(
            t, draw(st.binary(min_size=32, max_size=32)), draw(days), draw(statuses)
        )
        for t in thread_ids
    )
    item_ids = draw(st.lists(ids.map(lambda s: "i" + s), max_size=5, unique=True))
    blob_ids = iter(
        draw(st.lists(ids.map(lambda s: "b" + s), min_size=15, max_size=15, unique=True))
    )
    items = tuple(
        bundle.InboundItem(
            i,
            draw(st.sampled_from(thread_ids)),
            draw(st.sampled_from(["report", "message"])),
            draw(days),
            draw(st.binary(max_size=100)),
            tuple(
                bundle.Blob(next(blob_ids), draw(st.binary(max_size=50)))
                for _ in range(draw(st.integers(0, 2)))
            ),
        )
        for i in item_ids
    )
    used = {item.thread for item in items}  # every thread described has an item
    threads = tuple(t for t in threads if t.id in used)
    return bundle.InboundBundle(
        draw(days), draw(st.integers(0, bundle.MAX_SEQUENCE)), threads, items
    )


@st.composite
def outbound_bundles(draw: st.DrawFn) -> bundle.OutboundBundle:
    reply_ids = draw(st.lists(ids, max_size=4, unique=True))
    return bundle.OutboundBundle(
        sequence=draw(st.integers(1, bundle.MAX_SEQUENCE)),
        audience=keys.fingerprint(draw(st.binary(min_size=32, max_size=32))),
        created_day=draw(days),
        acks=tuple(draw(st.lists(ids, max_size=5, unique=True))),
        replies=tuple(
            bundle.OutboundReply(r, draw(ids), draw(days), draw(st.binary(max_size=100)))
            for r in reply_ids
        ),
        statuses=tuple(
            bundle.StatusChange(draw(ids), draw(statuses)) for _ in range(draw(st.integers(0, 3)))
        ),
    )


# Each direction: its bundles, its writer and reader, and who signs it (portal, office).
DIRECTIONS: dict[str, tuple[Any, Any, Any, keys.SecretIdentity]] = {
    "inbound": (inbound_bundles(), bundle.write_inbound, bundle.read_inbound, RECIPIENTS[0]),
    "outbound": (outbound_bundles(), bundle.write_outbound, bundle.read_outbound, RECIPIENTS[1]),
}


@pytest.mark.parametrize("direction", DIRECTIONS)
@SLOW
@given(st.data())
def test_bundle_round_trip(direction: str, data: st.DataObject) -> None:
    bundles, write, read, signer = DIRECTIONS[direction]
    b = data.draw(bundles)
    written = write(b, signer)
    assert read(written, signer.public.verify_key) == b
    assert write(b, signer) == written  # deterministic


# -- key files and wraps ---------------------------------------------------------------------


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_public_key_file_round_trip(enc: bytes, sign_seed: bytes) -> None:
    pub = keys.SecretIdentity(enc, sign_seed).public
    assert keys.PublicIdentity.from_text(pub.to_text()) == pub
    assert keys.PublicIdentity.from_text("\n  " + pub.to_text().replace(": ", ":") + "\n\n") == pub
    groups = pub.fingerprint.split(" ")
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)


@settings(max_examples=3, deadline=None)
@given(st.text(min_size=0, max_size=30))
def test_secret_key_file_round_trip(passphrase: str) -> None:
    ident = keys.SecretIdentity.generate()
    text = keys.lock_identity(ident, passphrase, opslimit=2, memlimit=64 << 20)
    assert keys.unlock_identity(text, passphrase) == ident
    with pytest.raises(WrongPassphraseError):
        keys.unlock_identity(text, passphrase + "x")


def test_secret_key_file_refuses_weak_or_huge_kdf_parameters() -> None:
    ident = identity("office")
    with pytest.raises(MalformedError):
        keys.lock_identity(ident, "p", opslimit=1, memlimit=64 << 20)
    with pytest.raises(MalformedError):
        keys.lock_identity(ident, "p", opslimit=2, memlimit=(64 << 20) - 1)
    text = keys.lock_identity(ident, "p", opslimit=2, memlimit=64 << 20)
    for bad in (
        "ops=1 mem=67108864",
        "ops=2 mem=1024",
        "ops=2 mem=8589934592",
        "ops=2",
        "ops=x mem=67108864",
    ):
        with pytest.raises(MalformedError):
            keys.unlock_identity(text.replace("ops=2 mem=67108864", bad), "p")
    with pytest.raises(MalformedError):
        keys.unlock_identity(text.replace("argon2id13", "scrypt"), "p")


@given(st.binary(max_size=500))
def test_wrap_round_trip(plaintext: bytes) -> None:
    key = wrap.new_key()
    wrapped = wrap.wrap(key, plaintext)
    assert len(wrapped) == 24 + 16 + len(plaintext)
    assert wrap.unwrap(key, wrapped) == plaintext


# -- receipts --------------------------------------------------------------------------------

separators = st.lists(
    st.sampled_from(
        [
            " ",
            "  ",
            "-",
            "_",
            ".",
            ",",
            ";",
            ":",
            "/",
            "·",
            "–",
            "—",
            "\t",
            "\n",
            "\u00a0",
            "\u3000",
            " - ",
        ]
    ),
    min_size=7,
    max_size=7,
)


@given(st.lists(st.sampled_from(WORDS), min_size=8, max_size=8), separators, st.data())
def test_receipt_normalisation_accepts_any_case_and_separators(
    words: list[str], seps: list[str], data: st.DataObject
) -> None:
    cased = ["".join(c.upper() if data.draw(st.booleans()) else c for c in w) for w in words]
    typed = data.draw(st.sampled_from(["", " ", "\t"])) + cased[0]
    for sep, word in zip(seps, cased[1:], strict=True):
        typed += sep + word
    assert receipt.normalise_receipt(typed + " ") == " ".join(words)


@settings(max_examples=3, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=8, max_size=8))
def test_receipt_derivation_ignores_typing_differences(words: list[str]) -> None:
    salt = bytes(16)
    canonical = receipt.derive_receipt_keys(" ".join(words), salt)
    typed = receipt.derive_receipt_keys("-".join(w.upper() for w in words), salt)
    assert typed.login_key == canonical.login_key
    assert typed.reporter_secret_key == canonical.reporter_secret_key
    assume(words != sorted(words))
    other = receipt.derive_receipt_keys(" ".join(sorted(words)), salt)
    assert other.login_key != canonical.login_key
