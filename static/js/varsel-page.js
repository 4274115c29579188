/* What the two browser-path pages share (docs/PROTOCOL.md, "Browser path"): taking over
 * the form once the portal's parameters are in, one job in the worker (varsel-worker.js),
 * the progress panel and an error list. Loaded before varsel-report.js and
 * varsel-follow-up.js; when it is missing they leave the form to post normally (server
 * path). */
(function () {
  "use strict";

  /* The portal's parameters for the worker, with the word list's address; null when they
   * cannot be fetched. */
  async function parameters(form) {
    var params;
    try {
      params = await (await fetch(form.dataset.parameters, { credentials: "same-origin" })).json();
    } catch (e) { return null; }
    params.wordlist_url = form.dataset.wordlist;
    return params;
  }

  /* One job in a fresh worker: its result, or its error; progress messages go to
   * onProgress when it is given. */
  function runWorker(form, job, onProgress) {
    return new Promise(function (resolve, reject) {
      var worker = new Worker(form.dataset.worker);
      worker.onmessage = function (event) {
        var m = event.data;
        if (m.type === "progress") { if (onProgress) { onProgress(m); } return; }
        worker.terminate();
        if (m.type === "result") { resolve(m.result); } else { reject(new Error(m.error)); }
      };
      worker.onerror = function (event) { worker.terminate(); reject(new Error(event.message)); };
      worker.postMessage(job);
    });
  }

  /* The panel PREFIX-progress: the message in PREFIX-status and, when total > 0, how far
   * PREFIX-bar is (otherwise the bar just moves). */
  function setProgress(prefix, message, done, total) {
    var bar = document.getElementById(prefix + "-bar");
    document.getElementById(prefix + "-progress").hidden = false;
    document.getElementById(prefix + "-status").textContent = message;
    if (total > 0) { bar.max = total; bar.value = done; } else { bar.removeAttribute("value"); }
  }

  /* The messages as the items of ``list``; ``box`` is shown and takes the focus. */
  function showErrors(box, list, messages) {
    list.replaceChildren();
    messages.forEach(function (m) {
      var li = document.createElement("li");
      li.textContent = m;
      list.appendChild(li);
    });
    box.hidden = false;
    box.focus();
  }

  /* Once the page is read: the form SELECTOR, when this browser can do the browser path
   * and the parameters pass accept(params), is sent by onSubmit(form, params) instead of
   * posting; otherwise nothing changes and it posts normally (server path). */
  function takeOver(selector, accept, onSubmit) {
    async function start() {
      var form = document.querySelector(selector);
      if (!form || !window.Worker || !window.fetch || !window.FormData) { return; }
      var params = await parameters(form);
      if (!params || !accept(params)) { return; }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        onSubmit(form, params);
      });
      form.dataset.browserPath = "on";
    }

    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else { start(); }
  }

  window.VarselPage = Object.freeze({
    runWorker: runWorker, setProgress: setProgress, showErrors: showErrors, takeOver: takeOver
  });
})();
