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
    // A template goes in at the cursor (or after the text, if the box was never
    // touched), never over what the agent typed; Ctrl+Z or "Undo" takes it out.
    const picker = composer.querySelector("select[data-template-url]");
    const templateStatus = document.getElementById("template-status");
    let touched = false;
    let before = null;
    body.addEventListener("focus", () => { touched = true; });
    if (picker) {
      picker.addEventListener("change", async () => {
        if (!picker.value) return;
        const response = await fetch(picker.dataset.templateUrl + "?template=" + encodeURIComponent(picker.value));
        picker.value = "";
        if (!response.ok) return;
        let text = await response.text();
        before = { value: body.value, start: body.selectionStart, end: body.selectionEnd };
        if (!touched) {
          if (body.value.trim()) text = "\n\n" + text;
          body.setSelectionRange(body.value.length, body.value.length);
        }
        body.focus();
        if (!document.execCommand("insertText", false, text)) {
          body.setRangeText(text, body.selectionStart, body.selectionEnd, "end");
        }
        templateStatus.hidden = false;
        if (picker.hasAttribute("data-confirm-template")) holdSending(true);
      });
      templateStatus.querySelector("[data-undo-template]").addEventListener("click", () => {
        if (before === null) return;
        body.value = before.value;
        body.setSelectionRange(before.start, before.end);
        body.focus();
        before = null;
        templateStatus.hidden = true;
        holdSending(false);
      });
      // The team's choice: an inserted template is a starting point, so sending
      // waits until the agent has edited the text or confirmed it as it is.
      const check = templateStatus.querySelector("[data-template-check]");
      const holdSending = (held) => {
        if (!check) return;
        check.hidden = !held;
        composer.querySelectorAll("button[type=submit]").forEach((button) => { button.disabled = held; });
      };
      if (check) {
        check.querySelector("button").addEventListener("click", () => { holdSending(false); body.focus(); });
        // The insertion's own input event comes before the hold; the next is the agent's.
        body.addEventListener("input", () => { if (!check.hidden) holdSending(false); });
      }
    }
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
