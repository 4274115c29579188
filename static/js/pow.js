/* Proof of work for Varsel's forms (docs/PROTOCOL.md, "Proof of work").
 *
 * On the page: every <input name="pow" data-challenge="..."> gets solved in a Web Worker
 * (this same file) as soon as the page has loaded, and its value becomes
 * "<challenge>.<nonce>". A request carrying it goes in the proof-of-work lane of the
 * portal's limits. Every ten minutes a fresh challenge is fetched and solved, so a form
 * kept open for hours still carries a valid one; the old solution stays until the new one
 * is ready. Without JavaScript, or without WebCrypto, the input stays empty and the form
 * still works (plain lane).
 *
 * In the worker: find the first nonce such that SHA-256(challenge + "." + nonce) starts
 * with <bits> zero bits (bits is the challenge's second field).
 */
(function () {
  "use strict";

  var BATCH = 256;
  var REFRESH_MS = 10 * 60 * 1000;

  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      var b = bytes[i];
      if (b === 0) { bits += 8; continue; }
      while ((b & 0x80) === 0) { bits += 1; b <<= 1; }
      return bits;
    }
    return bits;
  }

  if (typeof document === "undefined") {
    /* Worker: solve one challenge per message. */
    var encoder = new TextEncoder();
    self.onmessage = function (event) {
      var challenge = String(event.data);
      var bits = parseInt(challenge.split(".")[1], 10);
      var start = 0;
      function batch() {
        var jobs = [];
        for (var n = start; n < start + BATCH; n++) {
          jobs.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge + "." + n)));
        }
        Promise.all(jobs).then(function (digests) {
          for (var i = 0; i < digests.length; i++) {
            if (zeroBits(new Uint8Array(digests[i])) >= bits) {
              self.postMessage(challenge + "." + (start + i));
              return;
            }
          }
          start += BATCH;
          batch();
        });
      }
      batch();
    };
    return;
  }

  var script = document.currentScript;
  if (!script || !window.Worker || !window.crypto || !window.crypto.subtle) {
    return;
  }
  var workerUrl = script.src;

  function solve(input, challenge) {
    var worker = new Worker(workerUrl);
    worker.onmessage = function (event) {
      input.value = String(event.data);
      input.setAttribute("data-solved", "1");
      worker.terminate();
    };
    worker.postMessage(challenge);
  }

  function refresh(input) {
    var url = input.getAttribute("data-refresh");
    if (!url || !window.fetch) { return; }
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (challenge) { if (challenge) { solve(input, challenge.trim()); } })
      .catch(function () { /* keep the solution we have */ });
  }

  var inputs = document.querySelectorAll("input[name=pow][data-challenge]");
  Array.prototype.forEach.call(inputs, function (input) {
    solve(input, input.getAttribute("data-challenge"));
    window.setInterval(function () { refresh(input); }, REFRESH_MS);
  });
})();
