// Every page: behaviour that would otherwise be an inline handler (the CSP forbids those).
(function () {
  "use strict";
  // The language menu applies the choice at once (the <noscript> button does without script).
  document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
})();
// A table wider than its box: keyboard users can scroll it (it takes focus,
// named after its heading), and a line says it scrolls.
(function () {
  "use strict";
  const mark = () => {
    document.querySelectorAll(".table-scroll").forEach((box) => {
      const wide = box.scrollWidth > box.clientWidth + 1;
      const hint = box.previousElementSibling && box.previousElementSibling.matches(".scroll-hint")
        ? box.previousElementSibling : null;
      if (wide && !hint) {
        const text = document.body.dataset.scrollHint;
        const card = box.closest("section, details, main");
        const heading = card && card.querySelector("h1, h2, h3, summary");
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", heading ? heading.textContent.trim() : text);
        if (text) {
          const p = document.createElement("p");
          p.className = "scroll-hint";
          p.textContent = text;
          box.before(p);
        }
      } else if (!wide && hint) {
        hint.remove();
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  };
  mark();
  window.addEventListener("resize", mark);
  document.addEventListener("toggle", mark, true);
})();
