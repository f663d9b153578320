// Live parts of a page. Every page is complete without this file; with it, parts refresh in place and
// searches answer as you type, without reloading the page (which would lose the scroll, the focus and
// whatever is being typed).
//
// A part is an element with an id and data-part="NAME". The server renders it alone when the page's own
// address is fetched with the header X-Salonbook-Part: NAME (handlers/pages/base.py, templates/_NAME.html).
//   data-refresh="5"        on a part: fetch it again every 5 seconds while the tab is visible
//   data-search="NAME"      on an input: as it is typed, fetch part NAME for the input's form (GET forms),
//                           or for data-search-url with the input and the fields named in data-search-with
//   data-history            on a search input or a part: the address bar follows (a reload shows the same)
//   data-part-link          on a link inside a part: fetch the link's page of that part in place
(function () {
  "use strict";
  var HEADER = "X-Salonbook-Part";
  var pressing = false;
  var searches = {};

  function fetchPart(url, name) {
    var headers = {};
    headers[HEADER] = name;
    return fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" }).then(function (answer) {
      // Logged out, or the page is gone: leave what is shown alone.
      if (!answer.ok || answer.redirected) throw new Error("part " + name + " answered " + answer.status);
      return answer.text();
    });
  }

  // Form tokens differ in every answer; the part has changed only if something else did.
  function meaning(html) {
    return html.replace(/name="_xsrf" value="[^"]*"/g, "").trim();
  }

  function swap(name, html) {
    var shown = document.querySelector('[data-part="' + name + '"]');
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fresh = template.content.firstElementChild;
    if (!shown || !fresh || fresh.getAttribute("data-part") !== name) return;
    if (meaning(shown.outerHTML) === meaning(fresh.outerHTML)) return;
    shown.replaceWith(fresh);
  }

  function busy(part) {
    var active = document.activeElement;
    return pressing || document.visibilityState !== "visible" || (active && active !== document.body && part.contains(active));
  }

  function refresh(part) {
    var name = part.getAttribute("data-part");
    var seconds = Math.max(2, parseInt(part.getAttribute("data-refresh"), 10) || 5);
    setTimeout(function () {
      var shown = document.querySelector('[data-part="' + name + '"]');
      if (!shown) return;
      if (busy(shown)) return refresh(shown);
      fetchPart(location.href, name)
        .then(function (html) { swap(name, html); })
        .catch(function () {})
        .then(function () { refresh(document.querySelector('[data-part="' + name + '"]') || shown); });
    }, seconds * 1000);
  }

  function searchAddress(input) {
    var form = input.form;
    var base = input.getAttribute("data-search-url") || (form && form.getAttribute("action")) || location.pathname;
    var url = new URL(base, location.href);
    if (form && form.method === "get" && !input.hasAttribute("data-search-url")) {
      new FormData(form).forEach(function (value, key) { url.searchParams.set(key, value); });
      url.searchParams.delete("after");
    } else {
      url.searchParams.set(input.name, input.value);
      (input.getAttribute("data-search-with") || "").split(" ").forEach(function (field) {
        var chosen = form && form.querySelector('[name="' + field + '"]:checked, input[type=hidden][name="' + field + '"]');
        if (chosen) url.searchParams.set(field, chosen.value);
      });
    }
    return url;
  }

  function search(input) {
    var name = input.getAttribute("data-search");
    var asked = (searches[name] = (searches[name] || 0) + 1);
    var url = searchAddress(input);
    fetchPart(url.href, name).then(function (html) {
      if (asked !== searches[name]) return; // a later keystroke's answer is the one to show
      swap(name, html);
      if (input.hasAttribute("data-history")) history.replaceState(null, "", url.pathname + url.search);
    }).catch(function () {});
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.hasAttribute || !input.hasAttribute("data-search")) return;
    clearTimeout(input.searchTimer);
    input.searchTimer = setTimeout(function () { search(input); }, 150);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-part-link]");
    var part = link && link.closest("[data-part]");
    if (!part || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    var name = part.getAttribute("data-part");
    fetchPart(link.href, name).then(function (html) {
      swap(name, html);
      if (part.hasAttribute("data-history")) history.replaceState(null, "", link.getAttribute("href"));
      var fresh = document.querySelector('[data-part="' + name + '"]');
      if (fresh) fresh.scrollIntoView({ block: "nearest" });
    }).catch(function () { location.href = link.href; });
  });

  document.addEventListener("pointerdown", function () { pressing = true; });
  document.addEventListener("pointerup", function () { pressing = false; });
  document.addEventListener("pointercancel", function () { pressing = false; });

  document.querySelectorAll("[data-part][data-refresh]").forEach(refresh);
})();
