// The booking form, a little kinder with JS (without it the form works the same, only plainer):
// - the reminders checkbox says which channels a new client gets, from the email and phone typed (in the words
//   the page gives it, in its language);
// - Enter books (without JS the first button, "Find", takes Enter: it posts the form back, all kept);
// - a time asked for from the calendar is scrolled into view once the free times show;
// - choosing another staff member relabels the services with that member's lengths at once (the page's own
//   labels, in its language: handlers/pages/booking.py's service_labels), before "Show free times".
(function () {
  "use strict";
  var choices = document.querySelector("form[data-service-labels]");
  if (!choices) return;
  var labels = JSON.parse(choices.dataset.serviceLabels);  // service id -> {"": anyone, member id, "*": others}
  var member = choices.querySelector('select[name="staffId"]');
  var service = choices.querySelector('select[name="serviceId"]');
  if (!member || !service) return;
  member.addEventListener("change", function () {
    Array.prototype.forEach.call(service.options, function (option) {
      var theirs = labels[option.value];
      if (!theirs) return;  // the blank "choose a service"
      var listed = Object.prototype.hasOwnProperty.call(theirs, member.value);
      option.textContent = listed ? theirs[member.value] : theirs["*"];
    });
  });
})();

(function () {
  "use strict";
  var form = document.querySelector('form[action="/appointments/new"][method="post"]');
  if (!form) return;
  var email = form.querySelector('input[name="email"]');
  var phone = form.querySelector('input[name="phone"]');
  var channels = document.getElementById("reminder-channels");
  var book = form.querySelector('button.primary[type="submit"]');

  function sayChannels() {
    var byEmail = email && email.value.trim() !== "";
    var byText = phone && phone.value.trim() !== "";
    var said = channels.dataset;  // the page's own words, in its language
    channels.textContent = byEmail && byText ? said.both : byEmail ? said.email : byText ? said.text : said.none;
  }
  if (channels) {
    [email, phone].forEach(function (input) { if (input) input.addEventListener("input", sayChannels); });
    sayChannels();
  }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || target.tagName !== "INPUT" || target.type === "submit") return;
    event.preventDefault();
    if (!target.hasAttribute("data-search") && book && !book.disabled) form.requestSubmit(book);
  });

  var wished = form.querySelector(".slots input:checked");
  if (wished) wished.closest(".slot").scrollIntoView({ block: "nearest" });
})();
