// Reloads the page (same address, so the filters stay) every 5 s,
// unless someone is typing in a form or the tab is hidden.
setInterval(function () {
  var active = document.activeElement;
  var typing = active && active.form && active.type !== "submit";
  if (!typing && document.visibilityState === "visible") {
    location.reload();
  }
}, 5000);
