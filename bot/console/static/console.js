// The console's only script of its own: htmx requests carry the session's CSRF token in a header
// (the token is in <meta name="csrf-token">; plain forms carry it in a hidden field instead).
"use strict";
document.addEventListener("htmx:config:request", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) {
    event.detail.ctx.request.headers["X-CSRF-Token"] = meta.content;
  }
});
// a button that asks before it acts: data-confirm="question"
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
