// Pages that show tickets reload when a ticket changes (polled every 5 s), unless the
// reader is typing an answer.
(function () {
  var url = document.body.getAttribute("data-poll");
  if (!url) return;
  var seen = null;
  function typing() {
    var field = document.querySelector("textarea");
    return field && (field.value.trim() !== "" || document.activeElement === field);
  }
  function check() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        if (seen !== null && body.state !== seen && !typing()) location.reload();
        seen = body.state;
      })
      .catch(function () {});
  }
  check();
  setInterval(check, 5000);
})();
