// Never lose a civil servant's work: warn before leaving a form with unsaved changes,
// and keep a draft of it in this browser until it is submitted.
(function () {
  "use strict";
  function key(form) { return "steward-draft:" + location.pathname + ":" + (form.id || form.action); }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-guard]").forEach(function (form) {
      var dirty = false;
      var saved = null;
      try { saved = JSON.parse(localStorage.getItem(key(form)) || "null"); } catch (e) { saved = null; }
      if (saved && !form.hasAttribute("data-has-errors")) {
        var banner = document.createElement("p");
        banner.className = "notice";
        banner.textContent = form.getAttribute("data-restore-text") || "An unsaved draft of this form was found.";
        var restore = document.createElement("button");
        restore.type = "button";
        restore.textContent = form.getAttribute("data-restore-button") || "Restore it";
        restore.addEventListener("click", function () {
          Object.keys(saved).forEach(function (name) {
            var field = form.elements.namedItem(name);
            if (field && "value" in field && field.type !== "file" && field.type !== "hidden") { field.value = saved[name]; }
          });
          banner.remove();
          dirty = true;
        });
        banner.appendChild(document.createTextNode(" "));
        banner.appendChild(restore);
        form.prepend(banner);
      }
      form.addEventListener("input", function () {
        dirty = true;
        var data = {};
        new FormData(form).forEach(function (value, name) { if (typeof value === "string" && name !== "csrfmiddlewaretoken") { data[name] = value; } });
        try { localStorage.setItem(key(form), JSON.stringify(data)); } catch (e) { /* storage full: the warning below still protects */ }
      });
      form.addEventListener("submit", function () { dirty = false; try { localStorage.removeItem(key(form)); } catch (e) {} });
      window.addEventListener("beforeunload", function (event) { if (dirty) { event.preventDefault(); event.returnValue = ""; } });
    });
  });
})();

// A select marked data-submit-on-change (the language switch) submits its form when changed:
// no inline event handlers, so the pages can run under a strict Content-Security-Policy.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-submit-on-change") && target.form) {
    target.form.submit();
  }
});
