// The search box: "/" anywhere outside a text field puts the cursor in it.
(function () {
  "use strict";
  const box = document.querySelector("[data-search-box]");
  if (!box) return;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.metaKey || event.ctrlKey || event.altKey) return;
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
