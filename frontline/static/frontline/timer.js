// The ticket page's work timer: kept in localStorage per ticket, so it survives a
// reload (and runs on while the page is closed); "Use the time" fills the minutes.
(function () {
  "use strict";
  const box = document.querySelector("[data-timer]");
  if (!box) return;
  const key = "frontline-timer-" + box.dataset.timer;
  const clock = box.querySelector("[data-timer-clock]");
  const start = box.querySelector("[data-timer-start]");
  const stop = box.querySelector("[data-timer-stop]");
  const form = document.querySelector("[data-time-form]");
  const minutes = form && form.querySelector("input[name=minutes]");
  // {startedAt: ms since epoch or null, banked: ms counted before the last start}
  const load = () => {
    try { return JSON.parse(localStorage.getItem(key)) || { startedAt: null, banked: 0 }; }
    catch (e) { return { startedAt: null, banked: 0 }; }
  };
  const save = (state) => localStorage.setItem(key, JSON.stringify(state));
  const elapsed = (state) => state.banked + (state.startedAt ? Date.now() - state.startedAt : 0);
  const show = () => {
    const state = load();
    const seconds = Math.floor(elapsed(state) / 1000);
    const h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    clock.textContent = h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    start.hidden = Boolean(state.startedAt);
    stop.hidden = !state.startedAt;
  };
  start.addEventListener("click", () => {
    const state = load();
    if (!state.startedAt) { state.startedAt = Date.now(); save(state); }
    show();
  });
  stop.addEventListener("click", () => {
    const state = load();
    if (state.startedAt) { state.banked = elapsed(state); state.startedAt = null; save(state); }
    show();
  });
  box.querySelector("[data-timer-reset]").addEventListener("click", () => {
    localStorage.removeItem(key);
    show();
  });
  box.querySelector("[data-timer-use]").addEventListener("click", () => {
    if (!minutes) return;
    minutes.value = Math.max(1, Math.round(elapsed(load()) / 60000));
    minutes.focus();
  });
  if (form) {
    // A logged entry ends the timer's count: the next piece of work starts at zero.
    form.addEventListener("submit", () => localStorage.removeItem(key));
  }
  box.hidden = false;
  show();
  setInterval(show, 1000);
})();
