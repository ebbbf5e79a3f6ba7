// The ticket page: "Insert link" on a suggested article puts its title and
// address into the reply at the cursor, keeping what the agent typed (the
// browser's own undo takes it out again).
(function () {
  "use strict";
  const card = document.getElementById("kb-for-ticket");
  const composer = document.getElementById("composer");
  if (!card || !composer) return;
  card.addEventListener("click", (event) => {
    const button = event.target.closest("[data-kb-link]");
    if (!button) return;
    const body = composer.querySelector("textarea[name=body]");
    const before = body.value.slice(0, body.selectionStart);
    let text = button.dataset.kbLink;
    if (before && !before.endsWith("\n")) text = (before.endsWith(" ") ? "" : " ") + text;
    body.focus();
    if (!document.execCommand("insertText", false, text)) {
      body.setRangeText(text, body.selectionStart, body.selectionEnd, "end");
    }
    const status = document.getElementById("kb-link-status");
    if (status) status.hidden = false;
  });
})();
