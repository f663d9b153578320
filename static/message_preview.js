// The preview of a salon's own words, as they are typed. The page works without this file: its Preview button
// posts the form and the page comes back with the preview. With it, a pause in typing posts the same form (with
// action=preview, saving nothing) and asks only for the preview part (X-Salonbook-Part, see static/live.js),
// which replaces the one shown. Words the server refuses leave the last good preview; Preview shows why.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview]");
  if (!form) return;
  var name = form.getAttribute("data-preview");
  var timer = null;
  var asked = 0;

  function preview() {
    var data = new FormData(form);
    data.set("action", "preview");
    var mine = ++asked;
    var headers = { "X-Salonbook-Part": name };
    // form.action would be the button named "action", not the form's address
    fetch(form.getAttribute("action"), { method: "POST", body: new URLSearchParams(data), headers: headers, credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok || answer.redirected) throw new Error("preview answered " + answer.status);
        return answer.text();
      })
      .then(function (html) {
        if (mine !== asked) return; // a later preview is on its way
        var shown = document.querySelector('[data-part="' + name + '"]');
        var template = document.createElement("template");
        template.innerHTML = html.trim();
        var fresh = template.content.firstElementChild;
        if (shown && fresh && fresh.getAttribute("data-part") === name) shown.replaceWith(fresh);
      })
      .catch(function () {});
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(preview, 600);
  });
})();
