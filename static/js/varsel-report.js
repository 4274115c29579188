/* The report form with JavaScript on (docs/PROTOCOL.md, "Browser path"): the receipt is
 * drawn, the keys derived and everything sealed in this browser (varsel-worker.js); the
 * portal receives only ciphertext. When this script cannot run, the form posts normally
 * and the portal seals on the server: same page, same result. */
(function () {
  "use strict";

  var MAX_TEXT = 100000;
  var MAX_FILES = 64;
  var page = window.VarselPage;  // varsel-page.js

  function text(el) { return (el ? el.textContent : "").replace(/\s+/g, " ").trim(); }

  function answerOf(form, key) {
    var fields = form.querySelectorAll("[name='" + key + "']");
    if (!fields.length) { return null; }
    var first = fields[0];
    if (first.type === "checkbox") {
      var list = [];
      fields.forEach(function (f) { if (f.checked) { list.push(f.value); } });
      return list.length ? list : null;
    }
    if (first.type === "radio") {
      var chosen = null;
      fields.forEach(function (f) { if (f.checked) { chosen = f.value; } });
      return chosen;
    }
    return first.value.trim() ? first.value : null;
  }

  function labelOf(form, key) {
    var group = form.querySelector("fieldset#" + key + " > legend");
    if (group) { return text(group); }
    var label = form.querySelector("label[for='" + key + "']");
    if (!label) { return key; }
    var copy = label.cloneNode(true);
    copy.querySelectorAll(".req").forEach(function (r) { r.remove(); });
    return text(copy);
  }

  function choiceLabel(form, key, value) {
    var input = form.querySelector("[name='" + key + "'][value='" + value + "']");
    var label = input && form.querySelector("label[for='" + input.id + "']");
    return label ? text(label) : value;
  }

  /* The reporter's own readable copy, as the server path writes it (portal/forms.py). */
  function summary(form, answers) {
    return Object.keys(answers).map(function (key) {
      var value = answers[key];
      var shown = Array.isArray(value)
        ? value.map(function (v) { return choiceLabel(form, key, v); }).join(", ")
        : (form.querySelector("[name='" + key + "'][type=radio]") ? choiceLabel(form, key, value) : value);
      return labelOf(form, key) + "\n" + shown;
    }).join("\n\n");
  }

  function showErrors(messages) {
    page.showErrors(document.getElementById("send-error"),
                    document.getElementById("send-error-list"), messages);
  }

  function check(form, answers, files, params) {
    var d = form.dataset, errors = [];
    // The required questions and their messages, in the same order, as the page gives them.
    var messages = d.msgRequired.split("\n");
    d.required.split(" ").forEach(function (key, i) {
      if (key && !answers[key]) { errors.push(messages[i]); }
    });
    var understood = form.querySelector("[name=understood]");
    if (understood && !understood.checked) { errors.push(d.msgUnderstood); }
    var tooLong = Object.keys(answers).some(function (k) {
      return typeof answers[k] === "string" && Array.from(answers[k]).length > MAX_TEXT;
    });
    if (tooLong) { errors.push(d.msgTooLong); }
    if (files.length > MAX_FILES) { errors.push(d.msgTooMany); }
    var total = files.reduce(function (n, f) { return n + f.size; }, 0);
    if (total > params.max_upload_bytes) { errors.push(d.msgTooLarge); }
    return errors;
  }

  function progress(message, done, total) { page.setProgress("send", message, done, total); }

  function upload(form, sealed, toCommittee) {
    return new Promise(function (resolve, reject) {
      var body = new FormData();
      body.append("csrf_token", form.querySelector("[name=csrf_token]").value);
      var pow = form.querySelector("[name=pow]");  // proof of work (static/js/pow.js)
      if (pow) { body.append("pow", pow.value); }
      body.append("login_key", sealed.login_key);
      body.append("reporter_public_key", sealed.reporter_public_key);
      if (toCommittee) { body.append("send_to_committee", "y"); }
      body.append("envelope", sealed.envelope, "envelope.vse");
      body.append("own_copy", sealed.own_copy, "own_copy.vse");
      sealed.files.forEach(function (f) { body.append("attachments", f.blob, f.id); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.api);
      xhr.responseType = "json";
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { progress(form.dataset.msgUpload, e.loaded, e.total); }
      };
      xhr.onload = function () {
        if (xhr.status === 200 && xhr.response && xhr.response.ok) { resolve(); return; }
        reject(new Error((xhr.response && xhr.response.error) || form.dataset.msgFailed));
      };
      xhr.onerror = function () { reject(new Error(form.dataset.msgFailed)); };
      xhr.send(body);
    });
  }

  function showReceipt(receipt) {
    var main = document.getElementById("main");
    var content = document.getElementById("receipt-template").content.cloneNode(true);
    var words = receipt.split(" ");
    content.querySelectorAll(".receipt .w").forEach(function (w, i) { w.textContent = words[i]; });
    content.querySelector(".receipt-line code").textContent = receipt;
    main.replaceChildren(content);
    // As on the server path's receipt page: no link away from the only copy of the receipt.
    document.querySelectorAll("header.site nav, footer.site .wrap > p:not(:first-child)")
      .forEach(function (el) { el.hidden = true; });
    document.title = text(main.querySelector("h1")) + " – " + document.title.split(" – ").pop();
    main.querySelector("h1").setAttribute("tabindex", "-1");
    main.querySelector("h1").focus();
    window.scrollTo(0, 0);
  }

  async function send(form, params) {
    var answers = {};
    // The keys of the question catalogue (report_form/catalogue.py), as the page gives them.
    form.dataset.questions.split(" ").forEach(function (key) {
      var value = answerOf(form, key);
      if (value !== null) { answers[key] = value; }
    });
    var input = form.querySelector("[name=attachments]");
    var files = input ? Array.from(input.files) : [];
    var errors = check(form, answers, files, params);
    if (errors.length) { showErrors(errors); return; }
    document.getElementById("send-error").hidden = true;
    var committee = form.querySelector("[name=send_to_committee]");
    var toCommittee = !!(committee && committee.checked);
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      progress(form.dataset.msgDerive, 0, 0);
      var sealed = await page.runWorker(form, {
        job: "submitReport", params: params, answers: answers, files: files,
        ownCopyText: summary(form, answers), toCommittee: toCommittee
      }, function (m) {
        if (m.phase === "encrypt") { progress(form.dataset.msgEncrypt, m.done, m.total); }
      });
      progress(form.dataset.msgUpload, 0, 1);
      await upload(form, sealed, toCommittee);
      showReceipt(sealed.receipt);
    } catch (e) {
      button.disabled = false;
      document.getElementById("send-progress").hidden = true;
      showErrors([e.message || form.dataset.msgFailed]);
    }
  }

  if (page) {
    page.takeOver("form.report[data-api]", function (params) { return !!params.office; }, send);
  }
})();
