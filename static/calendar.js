// The calendar, a little quicker with a pointer (without JS every appointment's page moves it, with the same
// form, and the keyboard uses that form): drag a booked appointment to another time or stylist and drop it.
// The drop posts the appointment page's own move form (/appointments/ID/reschedule) with the time and stylist
// under the pointer, to the quarter hour; the server applies the same rules and warnings as the form (a time
// outside working hours shows the appointment's page with "Move anyway?"), and comes back to the calendar.
// A mouse drags at once; a finger or pen on a tablet scrolls the day as anywhere else, and picks an appointment
// up only after a long press (a short tap still opens it).
//   data-move="/appointments/ID/reschedule"    on a block's link: it can be dragged
//   data-staff, data-day, data-first-hour, data-minutes   on a column (.member-day): where a drop lands
(function () {
  "use strict";
  var SNAP = 15; // minutes
  var THRESHOLD = 8; // pixels a pointer moves before a press becomes a drag
  var drag = null;

  function minutesOf(column, clientY) {
    var rect = column.getBoundingClientRect();
    var hour = rect.height / (parseInt(column.getAttribute("data-minutes"), 10) / 60);
    var minutes = parseInt(column.getAttribute("data-first-hour"), 10) * 60 + ((clientY - drag.grabY) - rect.top) / hour * 60;
    return Math.max(0, Math.min(24 * 60 - SNAP, Math.round(minutes / SNAP) * SNAP));
  }

  function twoDigits(n) { return (n < 10 ? "0" : "") + n; }

  function columnAt(x, y) {
    drag.block.style.visibility = "hidden"; // the block itself is under the pointer
    var under = document.elementFromPoint(x, y);
    drag.block.style.visibility = "";
    return under && under.closest(".member-day[data-staff]");
  }

  function post(action, fields) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = action;
    var token = document.querySelector('input[name="_xsrf"]');
    if (token) fields._xsrf = token.value;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  // A finger (or pen) that lands on an appointment may be starting to scroll the day, so it has to hold still
  // for a moment before the appointment comes away; until then the browser pans as anywhere else.
  var HOLD = 450; // ms

  function start(event) {
    var link = event.target.closest && event.target.closest("a[data-move]");
    if (!link || event.button !== 0 || window.matchMedia("(max-width: 37.5rem)").matches) return;
    var block = link.closest(".block");
    var rect = block.getBoundingClientRect();
    drag = { id: event.pointerId, link: link, block: block, x: event.clientX, y: event.clientY,
      grabY: event.clientY - rect.top, moved: false, touch: event.pointerType !== "mouse" };
    drag.held = !drag.touch; // a mouse holds it as soon as it presses
    if (drag.touch) drag.timer = setTimeout(pickUp, HOLD);
  }

  function pickUp() {
    drag.held = true;
    drag.block.classList.add("dragging"); // lifted under the finger: now it follows, and lifting drops it
    if (navigator.vibrate) navigator.vibrate(15);
  }

  function putBack() {
    clearTimeout(drag.timer);
    drag.block.classList.remove("dragging");
    drag.block.style.transform = "";
    drag = null;
  }

  document.addEventListener("pointerdown", function (event) {
    suppress = null;
    var second = drag && drag.id !== event.pointerId;
    if (drag) putBack();
    if (!second) start(event); // a second finger makes a pinch, not a drag
  });

  document.addEventListener("pointermove", function (event) {
    if (!drag || event.pointerId !== drag.id) return;
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < THRESHOLD) return;
    if (!drag.held) { putBack(); return; } // a finger that moves before the hold is a swipe: the browser scrolls
    drag.moved = true;
    drag.block.classList.add("dragging");
    drag.block.style.transform = "translate(" + dx + "px," + dy + "px)";
    event.preventDefault();
  });

  // Only a touchmove can stop the page scrolling under a held finger (touch-action is read when the touch starts,
  // and pointermove cannot cancel a pan). Not passive, so it can; it cancels only while an appointment is held.
  document.addEventListener("touchmove", function (event) {
    if (drag && drag.held) event.preventDefault();
  }, { passive: false });

  document.addEventListener("pointerup", function (event) {
    if (!drag || event.pointerId !== drag.id) return;
    var was = drag;
    if (!was.moved) {
      if (was.touch && was.held) suppress = was.link; // picked up and put down in place: nothing to open
      putBack();
      return; // otherwise a tap or click: the link opens the appointment
    }
    var column = columnAt(event.clientX, event.clientY);
    var minutes = column && minutesOf(column, event.clientY);
    putBack();
    suppress = was.link;
    if (!column) return;
    was.block.classList.add("moving");
    post(was.link.getAttribute("data-move"), {
      startTime: column.getAttribute("data-day") + "T" + twoDigits(Math.floor(minutes / 60)) + ":" + twoDigits(minutes % 60),
      staffId: column.getAttribute("data-staff"),
      next: location.pathname + location.search
    });
  });

  document.addEventListener("pointercancel", function (event) {
    if (drag && event.pointerId === drag.id) putBack(); // the browser took the touch for a scroll or a zoom
  });

  document.addEventListener("contextmenu", function (event) {
    if (drag && drag.held) event.preventDefault(); // a long press on a link is a pick-up here, not a menu
  });

  var suppress = null; // the click that ends a drag does not open the appointment (set on pointerup)
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-move]");
    if (link && link === suppress) event.preventDefault();
    suppress = null;
  }, true);
  document.addEventListener("dragstart", function (event) {
    if (event.target.closest && event.target.closest("a[data-move]")) event.preventDefault(); // not the browser's link drag
  });
})();
