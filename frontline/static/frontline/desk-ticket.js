// The ticket page: @mention suggestions in the note box. The desk answers with
// the colleagues who may see the ticket (desk:mentions), as an HTML fragment.
(function () {
  "use strict";
  const composer = document.getElementById("composer");
  const box = document.getElementById("mention-suggestions");
  if (!composer || !box || !window.htmx) return;
  const textarea = () => composer.querySelector("textarea[name=body]");
  // The same shape of name the server reads: @ not inside a word or an address.
  const partial = (ta) => {
    const match = /(?:^|[^\w.@])@([\w.+-]{1,150})$/.exec(ta.value.slice(0, ta.selectionStart));
    return match ? match[1] : null;
  };
  let timer = null;
  let asked = null;
  const hide = () => { box.innerHTML = ""; asked = null; };
  const choices = () => Array.from(box.querySelectorAll("[data-mention]"));

  composer.addEventListener("input", (event) => {
    if (event.target.name !== "body") return;
    const query = composer.classList.contains("mode-note") ? partial(event.target) : null;
    clearTimeout(timer);
    if (!query) { hide(); return; }
    timer = setTimeout(() => {
      if (query === asked) return;
      asked = query;
      window.htmx.ajax("GET", box.dataset.url + "?q=" + encodeURIComponent(query), { target: box, swap: "innerHTML" });
    }, 150);
  });

  const choose = (button) => {
    const ta = textarea();
    const query = partial(ta) || "";
    const end = ta.selectionStart;
    ta.setRangeText(button.dataset.mention + " ", end - query.length, end, "end");
    hide();
    ta.focus();
  };
  box.addEventListener("click", (event) => {
    const button = event.target.closest("[data-mention]");
    if (button) choose(button);
  });
  composer.addEventListener("keydown", (event) => {
    const list = choices();
    if (!list.length) return;
    const at = list.indexOf(document.activeElement);
    if (event.key === "ArrowDown") { event.preventDefault(); list[Math.min(at + 1, list.length - 1)].focus(); }
    else if (event.key === "ArrowUp" && at >= 0) { event.preventDefault(); (at === 0 ? textarea() : list[at - 1]).focus(); }
    else if (event.key === "Escape") { hide(); textarea().focus(); }
  });
})();

// The side panel saves in place (hx-post): a refusal (400) comes back as the
// panel with its reasons, to be shown like any answer rather than dropped.
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const elt = event.detail.elt;
    if (event.detail.xhr.status === 400 && elt.closest && elt.closest("#panel-body")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

// The side panel asks for a closure reason only while "Resolved" is chosen
// (without JavaScript it is always there, with its "needed when resolving").
(function () {
  "use strict";
  const sync = () => {
    const status = document.querySelector("#panel select[name=status]");
    const reason = document.querySelector("#panel select[name=closure_reason]");
    if (!status || !reason) return;
    reason.closest(".field").hidden = status.value !== "resolved";
  };
  document.addEventListener("change", (event) => {
    if (event.target.matches("#panel select[name=status]")) sync();
  });
  document.body.addEventListener("htmx:afterSwap", sync);
  sync();
})();

// The shared draft: what is typed in the reply box is saved on the server a
// moment after the agent stops typing (desk:draft answers with the line under
// the box and the draft's new version); a colleague's newer text is not
// overwritten (409, shown like any answer).
(function () {
  "use strict";
  const composer = document.getElementById("composer");
  const status = document.getElementById("draft-status");
  if (!composer || !status || !window.htmx) return;
  let timer = null;
  let last = null;
  const save = () => {
    const body = composer.querySelector("textarea[name=body]");
    if (!body || body.value === last) return;
    last = body.value;
    const version = status.querySelector("input[name=draft_version]");
    window.htmx.ajax("POST", status.dataset.draftUrl, {
      source: status,
      target: status,
      swap: "innerHTML",
      values: { body: body.value, draft_version: version ? version.value : "" },
    });
  };
  const later = (event) => {
    if (event.target.name !== "body") return;
    if (last === null) last = event.target.defaultValue;
    clearTimeout(timer);
    timer = setTimeout(save, 1200);
  };
  composer.addEventListener("input", later);
  composer.addEventListener("change", later);
  composer.addEventListener("submit", () => clearTimeout(timer));
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.elt === status && [400, 409].includes(event.detail.xhr.status)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
