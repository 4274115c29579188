/* The browser path's crypto, off the page's thread (docs/PROTOCOL.md, "Browser path").
 * argon2id (64 MiB) and file encryption run here so the page stays responsive. The page
 * (varsel-report.js, varsel-follow-up.js) sends one job, the worker answers with progress
 * messages and one result. The receipt and the reporter's secret key exist only here and
 * in the page; neither is ever sent to the server. */
importScripts("../vendor/libsodium-sumo.js", "../vendor/libsodium-wrappers.js",
  "varsel-protocol.js");

var P = self.VarselProtocol;
var words = null;

async function ready(params) {
  await self.sodium.ready;
  if (words === null) {
    var response = await fetch(params.wordlist_url, { credentials: "same-origin" });
    words = await P.loadWords(await response.text());
  }
}

function progress(phase, done, total) {
  self.postMessage({ type: "progress", phase: phase, done: done || 0, total: total || 0 });
}

function recipients(params, toCommittee) {
  var keys = [P.unb64(params.office)];
  if (toCommittee) { keys = keys.concat(params.committee.map(P.unb64)); }
  return keys;
}

async function sealFiles(files, doneBefore, grandTotal) {
  var refs = [], blobs = [], names = [], done = doneBefore;
  for (var i = 0; i < files.length; i++) {
    var file = files[i];
    var key = self.sodium.randombytes_buf(32);
    var id = P.newId();
    var base = done;
    var blob = await P.encryptFile(file, key, function (d) { progress("encrypt", base + d, grandTotal); });
    done += file.size;
    var name = P.cleanName(file.name);
    refs.push({ blob: id, key: P.b64(key), media_type: file.type || "application/octet-stream",
                name: name, size: file.size });
    blobs.push({ id: id, blob: blob });
    names.push(name);
  }
  return { refs: refs, blobs: blobs, names: names };
}

function envelopeBlob(obj, keys) {
  return new Blob([P.sealEnvelope(P.utf8(P.canonicalJson(obj)), keys)]);
}

async function submitReport(job) {
  await ready(job.params);
  progress("derive");
  var receipt = P.generateReceipt(words);
  var k = P.deriveReceiptKeys(receipt, P.unb64(job.params.receipt_salt));
  var total = job.files.reduce(function (n, f) { return n + f.size; }, 0);
  var sealed = await sealFiles(job.files, 0, total);
  var pk = P.b64(k.publicKey);
  var report = { type: "report", v: 1, answers: job.answers, reporter_public_key: pk,
                 attachments: sealed.refs };
  var own = { type: "own_copy", v: 1, text: job.ownCopyText, file_names: sealed.names };
  return {
    receipt: receipt, login_key: P.b64(k.loginKey), reporter_public_key: pk,
    envelope: envelopeBlob(report, recipients(job.params, job.toCommittee)),
    own_copy: envelopeBlob(own, [k.publicKey]), files: sealed.blobs
  };
}

async function logIn(job) {
  await ready(job.params);
  var canonical = P.normaliseReceipt(job.receipt, words);
  progress("derive");
  var k = P.deriveReceiptKeys(canonical, P.unb64(job.params.receipt_salt));
  return { login_key: P.b64(k.loginKey), public_key: P.b64(k.publicKey),
           secret_key: P.b64(k.secretKey) };
}

async function openItems(job) {
  await self.sodium.ready;
  var pk = P.unb64(job.public_key), sk = P.unb64(job.secret_key);
  return job.items.map(function (item) {
    try {
      var payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
        P.openEnvelope(P.unb64(item.envelope), pk, sk)));
      var want = item.who === "me" ? "own_copy" : "reply";
      if (payload.type !== want || payload.v !== 1 || typeof payload.text !== "string") {
        return null;
      }
      return { who: item.who, kind: item.kind, day: item.day, text: payload.text,
               files: payload.file_names || [] };
    } catch (e) { return null; }
  }).filter(function (x) { return x !== null; });
}

async function sealMessage(job) {
  await self.sodium.ready;
  var total = job.files.reduce(function (n, f) { return n + f.size; }, 0);
  var sealed = await sealFiles(job.files, 0, total);
  var pk = P.unb64(job.public_key);
  var message = { type: "message", v: 1, text: job.text, reporter_public_key: job.public_key,
                  attachments: sealed.refs };
  var own = { type: "own_copy", v: 1, text: job.text, file_names: sealed.names };
  return { envelope: envelopeBlob(message, recipients(job.params, job.toCommittee)),
           own_copy: envelopeBlob(own, [pk]), files: sealed.blobs };
}

var JOBS = { submitReport: submitReport, logIn: logIn, openItems: openItems,
             sealMessage: sealMessage };

self.onmessage = async function (event) {
  try {
    var result = await JOBS[event.data.job](event.data);
    self.postMessage({ type: "result", result: result });
  } catch (e) {
    self.postMessage({ type: "error", error: String(e && e.message || e) });
  }
};
