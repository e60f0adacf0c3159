// Strategy pages: progressive enhancement only (the forms work without it). No inline
// script, no eval (CSP). An evidence form shows the reference box or the file box for the
// kind chosen; an action's progress bar follows the percentage typed.
"use strict";

(function () {
  function showFor(form) {
    const kind = form.querySelector("[data-evidence-kind]");
    if (!kind) return;
    const file = kind.value === "file";
    form.querySelectorAll("[data-evidence-ref]").forEach((el) => { el.hidden = file; });
    form.querySelectorAll("[data-evidence-file]").forEach((el) => { el.hidden = !file; });
  }

  function init() {
    document.querySelectorAll("form.evidence-form").forEach((form) => {
      showFor(form);
      const kind = form.querySelector("[data-evidence-kind]");
      if (kind) kind.addEventListener("change", () => showFor(form));
    });
    document.querySelectorAll("input[data-progress-input]").forEach((input) => {
      const bar = document.querySelector(`progress[data-progress-for="${input.id}"]`);
      if (!bar) return;
      input.addEventListener("input", () => {
        const n = Math.max(0, Math.min(100, Number(input.value) || 0));
        bar.value = n;
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
