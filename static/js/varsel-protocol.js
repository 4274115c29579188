/* Varsel protocol v1 in the browser: a second implementation of docs/PROTOCOL.md on
 * libsodium (libsodium-wrappers-sumo). Loaded by the worker (varsel-worker.js) after
 * libsodium; no DOM, no network. Everything here mirrors a section of docs/PROTOCOL.md. */
(function (root) {
  "use strict";

  var WORDLIST_SHA256 = "3af0e4c395e708fed24dd5f2fea3404b5c67b116c72422fbbd0a68a1e623dc15";
  var CHUNK = 65536;
  var TAG_MESSAGE = 0;
  var TAG_FINAL = 3;
  var MAX_TEXT = 100000;
  var MAX_NAME = 255;
  var enc = new TextEncoder();

  function sodium() { return root.sodium; }

  /* Padding */
  function paddedSize(length) {
    if (length <= 1024) { return 1024; }
    if (length <= 1048576) {
      var p = 1024;
      while (p < length) { p *= 2; }
      return p;
    }
    var e = Math.floor(Math.log2(length));
    while (Math.pow(2, e + 1) <= length) { e += 1; }
    while (Math.pow(2, e) > length) { e -= 1; }
    var s = Math.floor(Math.log2(e)) + 1;
    var step = Math.pow(2, e - s);
    return Math.ceil(length / step) * step;
  }

  function concat(parts) {
    var total = 0, i, off = 0;
    for (i = 0; i < parts.length; i++) { total += parts[i].length; }
    var out = new Uint8Array(total);
    for (i = 0; i < parts.length; i++) { out.set(parts[i], off); off += parts[i].length; }
    return out;
  }

  function b64(bytes) { return sodium().to_base64(bytes, sodium().base64_variants.ORIGINAL); }
  function unb64(text) { return sodium().from_base64(text, sodium().base64_variants.ORIGINAL); }

  /* Canonical JSON (Conventions): sorted keys, no whitespace, UTF-8 written literally. */
  function canonicalJson(value) {
    if (Array.isArray(value)) { return "[" + value.map(canonicalJson).join(",") + "]"; }
    if (value !== null && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) {
        return JSON.stringify(k) + ":" + canonicalJson(value[k]);
      }).join(",") + "}";
    }
    return JSON.stringify(value);
  }

  /* Envelope */
  function sealEnvelope(payload, recipients) {
    var s = sodium();
    var key = s.randombytes_buf(32);
    var stanzas = recipients.map(function (pk) { return s.crypto_box_seal(key, pk); });
    var nonce = s.randombytes_buf(24);
    var header = concat([enc.encode("VSE1"), new Uint8Array([recipients.length])].concat(stanzas, [nonce]));
    var frameLen = paddedSize(4 + payload.length);
    var frame = new Uint8Array(frameLen);
    new DataView(frame.buffer).setUint32(0, payload.length, false);
    frame.set(payload, 4);
    var body = s.crypto_aead_xchacha20poly1305_ietf_encrypt(frame, header, null, nonce, key);
    return concat([header, body]);
  }

  function openEnvelope(data, pk, sk) {
    var s = sodium();
    if (data.length < 5 || String.fromCharCode.apply(null, data.subarray(0, 4)) !== "VSE1") {
      throw new Error("MalformedError");
    }
    var n = data[4];
    if (n < 1 || n > 16) { throw new Error("MalformedError"); }
    var headerLen = 29 + 80 * n;
    if (data.length < headerLen + 16 + 4) { throw new Error("MalformedError"); }
    var header = data.subarray(0, headerLen);
    var key = null;
    for (var i = 0; i < n && key === null; i++) {
      try {
        var opened = s.crypto_box_seal_open(data.subarray(5 + 80 * i, 85 + 80 * i), pk, sk);
        if (opened.length === 32) { key = opened; }
      } catch (e) { /* not this stanza */ }
    }
    if (key === null) { throw new Error("NotARecipientError"); }
    var frame;
    try {
      frame = s.crypto_aead_xchacha20poly1305_ietf_decrypt(
        null, data.subarray(headerLen), header, header.subarray(headerLen - 24), key);
    } catch (e) { throw new Error("TamperedError"); }
    var len = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, false);
    if (len > frame.length - 4 || frame.length !== paddedSize(len + 4)) {
      throw new Error("MalformedError");
    }
    for (var j = 4 + len; j < frame.length; j++) {
      if (frame[j] !== 0) { throw new Error("MalformedError"); }
    }
    return frame.slice(4, 4 + len);
  }

  /* Attachment stream: the file is read with File.slice, one block at a time, and the
   * ciphertext is gathered into a Blob, so the whole file is never in memory at once. */
  async function encryptFile(file, key, onProgress) {
    var s = sodium();
    var init = s.crypto_secretstream_xchacha20poly1305_init_push(key);
    var state = init.state;
    var size = file.size;
    var total = paddedSize(size);
    var parts = [enc.encode("VSS1"), init.header];
    var pending = 0;
    var BLOCK = 16 * CHUNK;
    for (var start = 0; start < total; start += BLOCK) {
      var end = Math.min(start + BLOCK, total);
      var block = new Uint8Array(end - start);
      if (start < size) {
        var buf = await file.slice(start, Math.min(end, size)).arrayBuffer();
        block.set(new Uint8Array(buf), 0);
      }
      for (var off = 0; off < block.length; off += CHUNK) {
        var last = start + off + CHUNK >= total;
        var piece = s.crypto_secretstream_xchacha20poly1305_push(
          state, block.subarray(off, Math.min(off + CHUNK, block.length)), null,
          last ? TAG_FINAL : TAG_MESSAGE);
        parts.push(piece);
        pending += piece.length;
      }
      if (pending >= 16 * 1024 * 1024) {  // let the browser keep large Blobs on disk
        parts = [new Blob(parts)];
        pending = 0;
      }
      if (onProgress) { onProgress(Math.min(end, size), size); }
    }
    return new Blob(parts, { type: "application/octet-stream" });
  }

  /* Receipt */
  var SEPARATORS = new Set([0x2D, 0x5F, 0x2E, 0x2C, 0x3B, 0x3A, 0x2F, 0xB7, 0x2013, 0x2014,
    0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]);
  function isSeparator(c) {
    return SEPARATORS.has(c) || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) ||
      (c >= 0x2000 && c <= 0x200A);
  }

  function normaliseReceipt(typed, words) {
    var text = typed.normalize("NFKC");
    var pieces = [], current = "";
    for (var ch of text) {
      var c = ch.codePointAt(0);
      if (c >= 0x41 && c <= 0x5A) { current += String.fromCharCode(c + 0x20); }
      else if (c === 0xDF || c === 0x1E9E) { current += "ss"; }
      else if (isSeparator(c)) { if (current) { pieces.push(current); } current = ""; }
      else { current += ch; }
    }
    if (current) { pieces.push(current); }
    var set = new Set(words);
    if (pieces.length !== 8 || !pieces.every(function (p) { return set.has(p); })) {
      throw new Error("ReceiptFormatError");
    }
    return pieces.join(" ");
  }

  function generateReceipt(words) {
    var out = [];
    for (var i = 0; i < 8; i++) { out.push(words[sodium().randombytes_uniform(words.length)]); }
    return out.join(" ");
  }

  function deriveReceiptKeys(canonical, salt) {
    var s = sodium();
    var master = s.crypto_pwhash(32, enc.encode(canonical), salt, 3, 67108864,
      s.crypto_pwhash_ALG_ARGON2ID13);
    var loginKey = s.crypto_generichash(32, enc.encode("varsel/v1/receipt/login"), master);
    var seed = s.crypto_generichash(32, enc.encode("varsel/v1/receipt/reporter-x25519"), master);
    var pair = s.crypto_box_seed_keypair(seed);
    return { loginKey: loginKey, publicKey: pair.publicKey, secretKey: pair.privateKey };
  }

  async function loadWords(text) {
    var bytes = enc.encode(text);
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    if (sodium().to_hex(digest) !== WORDLIST_SHA256) { throw new Error("word list changed"); }
    var words = text.split("\n");
    if (words.pop() !== "" || words.length !== 2048) { throw new Error("word list damaged"); }
    return words;
  }

  function newId() {
    for (;;) {
      var id = sodium().to_base64(sodium().randombytes_buf(16),
        sodium().base64_variants.URLSAFE_NO_PADDING);
      if (/^[A-Za-z0-9]/.test(id)) { return id; }
    }
  }

  function cleanName(name) {
    var base = String(name || "").replace(/\\/g, "/").split("/").pop().trim();
    return Array.from(base || "file").slice(0, MAX_NAME).join("");
  }

  function codePoints(text) { return Array.from(text).length; }

  root.VarselProtocol = {
    CHUNK: CHUNK, MAX_TEXT: MAX_TEXT, MAX_NAME: MAX_NAME,
    paddedSize: paddedSize, canonicalJson: canonicalJson, sealEnvelope: sealEnvelope,
    openEnvelope: openEnvelope, encryptFile: encryptFile, normaliseReceipt: normaliseReceipt,
    generateReceipt: generateReceipt, deriveReceiptKeys: deriveReceiptKeys,
    loadWords: loadWords, newId: newId, cleanName: cleanName, codePoints: codePoints,
    b64: b64, unb64: unb64, utf8: function (t) { return enc.encode(t); }
  };
})(self);
