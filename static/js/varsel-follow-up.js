/* Following up with JavaScript on (docs/PROTOCOL.md, "Browser path"): the browser derives
 * the login key from the typed receipt, the portal answers with the thread's ciphertexts,
 * and the browser opens the reporter's own copies and the office's replies and seals new
 * messages. The receipt and the reporter's secret key never leave this page. Without
 * JavaScript the same form logs in on the server path. */
(function () {
  "use strict";

  var MAX_TEXT = 100000;
  var MAX_FILES = 64;
  var page = window.VarselPage;  // varsel-page.js

  function post(url, body, onUpload) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.responseType = "json";
      if (onUpload) {
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) { onUpload(e.loaded, e.total); } };
      }
      xhr.onload = function () { resolve({ status: xhr.status, body: xhr.response || {} }); };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.send(body);
    });
  }

  function formatDay(day, lang) {
    var parts = day.split("-").map(Number);
    var locale = { nb: "nb-NO", nn: "nn-NO", en: "en-GB" }[lang] || "nb-NO";
    return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" })
      .format(new Date(Date.UTC(parts[0], parts[1] - 1, parts[2])));
  }

  function Session(form, params, keys, csrf) {
    this.form = form; this.params = params; this.keys = keys; this.csrf = csrf;
  }

  Session.prototype.body = function () {
    var body = new FormData();
    body.append("csrf_token", this.csrf);
    body.append("login_key", this.keys.login_key);
    return body;
  };

  Session.prototype.load = async function (pow) {
    var body = this.body();
    if (pow) { body.append("pow", pow); }
    var answer = await post(this.form.dataset.thread, body);
    if (answer.status !== 200) { throw new Error(answer.body.error || this.form.dataset.msgNotFound); }
    var items = await page.runWorker(this.form, {
      job: "openItems", public_key: this.keys.public_key, secret_key: this.keys.secret_key,
      items: answer.body.items
    });
    return { thread: answer.body, items: items };
  };

  Session.prototype.render = function (loaded, notice) {
    var d = this.form.dataset, lang = d.lang;
    var main = document.getElementById("main");
    var view = document.getElementById("thread-template").content.cloneNode(true);
    var status = view.getElementById("thread-status");
    var st = loaded.thread.status;  // data-status-in_progress is dataset.statusIn_progress
    status.textContent = d["status" + st.charAt(0).toUpperCase() + st.slice(1)] || d.statusReceived;
    status.classList.add("status-" + loaded.thread.status);
    var expires = view.getElementById("thread-expires");
    expires.textContent = expires.dataset.template.replace("{day}", formatDay(loaded.thread.expires, lang));
    var list = view.querySelector("ol.conversation");
    var itemTemplate = view.getElementById("item-template");
    loaded.items.forEach(function (item) {
      var li = itemTemplate.content.cloneNode(true);
      li.querySelector("li").classList.add("item-" + item.who);
      li.querySelector("h3").textContent = item.who === "office" ? d.whoOffice
        : (item.kind === "report" ? d.whoReport : d.whoMe);
      li.querySelector(".day").textContent = formatDay(item.day, lang);
      li.querySelector(".text").textContent = item.text;
      if (item.files.length) {
        li.querySelector(".files-label").hidden = false;
        var ul = li.querySelector(".files");
        item.files.forEach(function (name) {
          var f = document.createElement("li");
          f.textContent = name;
          ul.appendChild(f);
        });
      } else { li.querySelector(".files").remove(); }
      list.appendChild(li);
    });
    view.getElementById("no-reply").hidden = loaded.items.some(function (i) { return i.who === "office"; });
    if (notice) {
      var box = view.getElementById("thread-notice");
      box.querySelector("p").textContent = notice;
      box.hidden = false;
    }
    var committee = view.getElementById("send_to_committee");
    if (committee) { committee.checked = !!loaded.thread.committee_chosen; }
    var session = this;
    view.querySelector("form.message").addEventListener("submit", function (event) {
      event.preventDefault();
      session.send(event.target);
    });
    main.replaceChildren(view);
    var h1 = main.querySelector("h1");
    h1.setAttribute("tabindex", "-1");
    h1.focus();
  };

  Session.prototype.send = async function (messageForm) {
    var d = this.form.dataset;
    var text = messageForm.querySelector("[name=text]").value;
    var files = Array.from(messageForm.querySelector("[name=attachments]").files);
    var errors = [];
    if (!text.trim()) { errors.push(d.msgRequired); }
    if (Array.from(text).length > MAX_TEXT) { errors.push(d.msgFailed); }
    if (files.length > MAX_FILES) { errors.push(d.msgTooMany); }
    if (files.reduce(function (n, f) { return n + f.size; }, 0) > this.params.max_upload_bytes) {
      errors.push(d.msgTooLarge);
    }
    var box = document.getElementById("message-error");
    var list = document.getElementById("message-error-list");
    function show(messages) { page.showErrors(box, list, messages); }
    if (errors.length) { show(errors); return; }
    var committee = messageForm.querySelector("[name=send_to_committee]");
    var toCommittee = !!(committee && committee.checked);
    var button = messageForm.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      page.setProgress("message", d.msgEncrypt, 0, 0);
      var sealed = await page.runWorker(this.form, {
        job: "sealMessage", params: this.params, public_key: this.keys.public_key, text: text,
        files: files, toCommittee: toCommittee
      }, function (m) { page.setProgress("message", d.msgEncrypt, m.done, m.total); });
      var body = this.body();
      if (toCommittee) { body.append("send_to_committee", "y"); }
      body.append("envelope", sealed.envelope, "envelope.vse");
      body.append("own_copy", sealed.own_copy, "own_copy.vse");
      sealed.files.forEach(function (f) { body.append("attachments", f.blob, f.id); });
      var answer = await post(d.message, body, function (done, total) {
        page.setProgress("message", d.msgUpload, done, total);
      });
      if (answer.status !== 200 || !answer.body.ok) { throw new Error(answer.body.error || d.msgFailed); }
      this.render(await this.load(), d.msgSent);
    } catch (e) {
      button.disabled = false;
      document.getElementById("message-progress").hidden = true;
      show([e.message || d.msgFailed]);
    }
  };

  async function logIn(form, params) {
    var d = form.dataset;
    var box = document.getElementById("login-error");
    var input = form.querySelector("[name=receipt]");
    var button = form.querySelector("button[type=submit]");
    box.hidden = true;
    button.disabled = true;
    try {
      page.setProgress("login", d.msgDerive, 0, 0);
      var keys = await page.runWorker(form, { job: "logIn", params: params, receipt: input.value });
      input.value = "";
      var session = new Session(form, params, keys, form.querySelector("[name=csrf_token]").value);
      var pow = form.querySelector("[name=pow]");  // proof of work (static/js/pow.js), once
      session.render(await session.load(pow ? pow.value : ""));
    } catch (e) {
      input.value = "";  // never leave a nearly right receipt on the page, as on the server path
      button.disabled = false;
      document.getElementById("login-progress").hidden = true;
      document.getElementById("login-error-text").textContent =
        e.message === "ReceiptFormatError" ? d.msgNotFound : (e.message || d.msgFailed);
      box.hidden = false;
      box.focus();
    }
  }

  if (page) {
    page.takeOver("form.login[data-thread]", function () { return true; }, logIn);
  }
})();
