// Every page: behaviour that would otherwise be an inline handler (the CSP forbids those).
(function () {
  "use strict";
  // The language menu applies the choice at once (the <noscript> button does without script).
  document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
})();
