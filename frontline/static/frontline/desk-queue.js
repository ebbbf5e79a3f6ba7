// The queue: filters start open on a wide screen (on a phone they wait behind
// their summary so the tickets come first), and the bulk controls show once a
// ticket is ticked. Without this script everything is simply shown.
(function () {
  "use strict";
  if (window.matchMedia("(min-width: 801px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((details) => { details.open = true; });
  }
  const bulk = document.getElementById("bulk");
  if (!bulk) return;
  const update = () => {
    bulk.classList.toggle("has-selection", bulk.querySelector("input[name=tickets]:checked") !== null);
  };
  bulk.classList.add("bulk-js");
  bulk.addEventListener("change", update);
  update();
})();
