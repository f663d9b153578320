// The card field (Stripe Elements), paying a deposit or saving the card (data-saves="card": a SetupIntent): the card
// number goes from this page to Stripe only. Once Stripe says it went through, the page goes to the form's action,
// where the server asks Stripe itself.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var button = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    var confirm = (form.dataset.saves === "card" ? stripe.confirmCardSetup : stripe.confirmCardPayment).bind(stripe);
    confirm(form.dataset.clientSecret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) {
        errors.textContent = result.error.message;
        button.disabled = false;
        return;
      }
      window.location.assign(form.action);
    });
  });
})();
