"""The browser's protocol code (static/js/varsel-protocol.js) against tests/vectors.

A real Chromium opens the live portal's follow-up page (its strict CSP applies) and loads
the same same-origin files the worker imports: the vendored libsodium and the protocol
script. Every vector the browser path has code for is passed in from Python and checked
in the page:

- receipt.json   every accepted typing normalises to its canonical form; every refused
                 one is refused; both key derivations give the vector's login key and
                 reporter key pair (the master key is internal to the JS)
- padding.json   every padded size
- payload.json   every payload: parsed and written again as canonical JSON, the exact bytes
- envelope.json  every vector envelope opens with each recipient's secret key to the
                 payload, and not with the outsider's; the JS seals the same payloads to
                 the same keys, to the vector's length, and Python opens what it sealed
- stream.json    the JS encrypts each vector plaintext with the vector key, to the vector's
                 length, and Python decrypts it to the vector's plaintext digest

The browser only writes streams (the portal and the inbox read them), so the refused
stream vectors have no browser code to run; tests/crypto checks them.
"""

import hashlib
import json
from base64 import b64decode
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer
from playwright.sync_api import Browser, Page

from crypto.envelope import open_envelope
from crypto.stream import decrypt_stream

pytestmark = pytest.mark.browser

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SCRIPTS = ("/static/vendor/libsodium-sumo.js", "/static/vendor/libsodium-wrappers.js",
           "/static/js/varsel-protocol.js")


def _vectors(name: str) -> Any:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


def _protocol_page(browser: Browser, server: LiveServer) -> tuple[Page, list[str]]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server.url}/follow-up?lang=en")
    for src in SCRIPTS:
        page.add_script_tag(url=src)
    page.evaluate("async () => { await self.sodium.ready; }")
    return page, errors


def test_js_protocol_reproduces_the_vectors(browser: Browser, live_server: LiveServer) -> None:
    page, errors = _protocol_page(browser, live_server)
    try:
        assert page.evaluate("typeof VarselProtocol.normaliseReceipt") == "function"
        receipt, padding, payload = _vectors("receipt"), _vectors("padding"), _vectors("payload")
        envelope, stream = _vectors("envelope"), _vectors("stream")

        words = page.evaluate(
            """async () => VarselProtocol.loadWords(
                await (await fetch("/api/v1/wordlist.txt")).text())""")
        assert len(words) == 2048

        normalised = page.evaluate(
            """([cases, words]) => cases.map(c => {
                try { return VarselProtocol.normaliseReceipt(c, words); }
                catch (e) { return "refused: " + e.message; } })""",
            [[c["typed"] for c in receipt["normalise"]] + receipt["rejected"], words])
        assert normalised == [c["canonical"] for c in receipt["normalise"]] + [
            "refused: ReceiptFormatError"] * len(receipt["rejected"])
        assert len(receipt["normalise"]) == 12 and len(receipt["rejected"]) == 15

        derived = page.evaluate(
            """cases => cases.map(c => {
                var P = VarselProtocol, s = self.sodium;
                var k = P.deriveReceiptKeys(c.receipt, s.from_hex(c.salt));
                return [s.to_hex(k.loginKey), s.to_hex(k.publicKey), s.to_hex(k.secretKey)]; })""",
            receipt["cases"])
        assert derived == [
            [c["login_key"], c["reporter_public_key"], c["reporter_secret_key"]]
            for c in receipt["cases"]]

        sizes = page.evaluate("ls => ls.map(VarselProtocol.paddedSize)",
                              [c["length"] for c in padding["cases"]])
        assert sizes == [c["padded"] for c in padding["cases"]]

        canonical = page.evaluate(
            """texts => texts.map(t => VarselProtocol.b64(VarselProtocol.utf8(
                VarselProtocol.canonicalJson(JSON.parse(t)))))""",
            [c["bytes"] for c in payload["cases"]])
        assert [b64decode(b).decode("utf-8") for b in canonical] == [
            c["bytes"] for c in payload["cases"]]

        opened = page.evaluate(
            """([cases, outsider]) => cases.map(c => {
                var P = VarselProtocol, s = self.sodium;
                var data = P.unb64(c.envelope);
                var each = c.recipient_secret_keys.map(sk => s.to_hex(P.openEnvelope(
                    data, s.crypto_scalarmult_base(s.from_hex(sk)), s.from_hex(sk))));
                var out = s.from_hex(outsider), refused;
                try {
                    P.openEnvelope(data, s.crypto_scalarmult_base(out), out);
                    refused = "opened";
                } catch (e) { refused = e.message; }
                var sealed = P.sealEnvelope(s.from_hex(c.payload),
                    c.recipient_public_keys.map(pk => s.from_hex(pk)));
                return { each: each, outsider: refused, sealed: P.b64(sealed) }; })""",
            [envelope["cases"], envelope["outsider_secret_key"]])
        for case, got in zip(envelope["cases"], opened, strict=True):
            assert got["each"] == [case["payload"]] * len(case["recipient_secret_keys"])
            assert got["outsider"] == "NotARecipientError"
            sealed = b64decode(got["sealed"])
            assert len(sealed) == len(b64decode(case["envelope"])) == case["length"]
            for sk, pk in zip(case["recipient_secret_keys"], case["recipient_public_keys"],
                              strict=True):
                assert open_envelope(sealed, bytes.fromhex(pk), bytes.fromhex(sk)).hex() == (
                    case["payload"])

        encrypted = page.evaluate(
            """async cases => { var out = [];
                for (var c of cases) {
                    var plain = new Uint8Array(c.size);
                    for (var i = 0; i < c.size; i++) { plain[i] = i % 251; }
                    var blob = await VarselProtocol.encryptFile(
                        new Blob([plain]), self.sodium.from_hex(c.key), null);
                    out.push(VarselProtocol.b64(new Uint8Array(await blob.arrayBuffer())));
                }
                return out; }""",
            stream["cases"])
        for case, got in zip(stream["cases"], encrypted, strict=True):
            data = b64decode(got)
            assert len(data) == len(b64decode(case["ciphertext"]))
            plain = b"".join(decrypt_stream(bytes.fromhex(case["key"]), case["size"], [data]))
            assert hashlib.blake2b(plain, digest_size=32).hexdigest() == (
                case["plaintext_blake2b"])
        assert errors == []  # no CSP violation, no script error
    finally:
        page.context.close()
