// The desk: reply/note switch, typing presence, and keyboard shortcuts.
(function () {
  "use strict";
  const composer = document.getElementById("composer");
  if (composer) {
    const body = composer.querySelector("textarea[name=body]");
    const setMode = (input) => {
      composer.action = input.dataset.action;
      composer.classList.remove("mode-reply", "mode-note", "mode-request-info");
      composer.classList.add("mode-" + input.value);
    };
    composer.querySelectorAll("input[name=mode]").forEach((input) => {
      input.addEventListener("change", () => setMode(input));
      if (input.checked) setMode(input);
    });
    let typingTimer = null;
    body.addEventListener("input", () => {
      window.frontlineTyping = true;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { window.frontlineTyping = false; }, 4000);
    });
    const choose = (value) => {
      const input = composer.querySelector("input[name=mode][value=" + value + "]");
      input.checked = true;
      setMode(input);
      body.focus();
    };
    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.ctrlKey && event.key === "Enter" && target === body) { composer.requestSubmit(); return; }
      if (target.closest("input, textarea, select") || event.metaKey || event.ctrlKey || event.altKey) return;
      if (event.key === "r") { event.preventDefault(); choose("reply"); }
      if (event.key === "n") { event.preventDefault(); choose("note"); }
    });
  }
  // Presence pings say whether this agent is typing (instead of hx-vals="js:...",
  // which needs eval and so the CSP's 'unsafe-eval').
  document.body.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt.hasAttribute("data-typing-presence")) {
      event.detail.parameters.typing = window.frontlineTyping ? "1" : "0";
    }
  });
  // Queue: select all, and j/k/x/Enter to move, select and open.
  const checkAll = document.querySelector("[data-check-all]");
  if (checkAll) {
    checkAll.addEventListener("change", () => {
      document.querySelectorAll("input[name=tickets]").forEach((box) => { box.checked = checkAll.checked; });
    });
    const rows = Array.from(document.querySelectorAll("tr[data-row]"));
    let index = -1;
    const focusRow = (i) => {
      if (!rows.length) return;
      index = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach((row) => row.classList.remove("selected"));
      rows[index].classList.add("selected");
      rows[index].querySelector(".subject a").focus();
    };
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input[type=text], textarea, select") || event.metaKey || event.ctrlKey) return;
      if (event.key === "j") focusRow(index + 1);
      if (event.key === "k") focusRow(index - 1);
      if (event.key === "x" && index >= 0) {
        const box = rows[index].querySelector("input[name=tickets]");
        box.checked = !box.checked;
      }
    });
  }
})();
