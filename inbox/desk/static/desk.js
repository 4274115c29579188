// The desk's only script (same origin, with SRI): while a bundle is checked and decrypted,
// say so and keep the button from being pressed twice. Everything works without it.
"use strict";
(function () {
  var form = document.getElementById("import-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var progress = document.getElementById("import-progress");
    var button = document.getElementById("import-button");
    if (progress) { progress.hidden = false; }
    if (button) { button.disabled = true; }
  });
})();
