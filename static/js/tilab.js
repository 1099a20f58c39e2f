// The platform's only script: every page works without it; it moves focus where a person
// needs it, announces what changed, and warns before unsaved changes are lost.
var script = document.currentScript;

// One polite live region for the whole page, filled after an htmx swap with what the new
// content says of itself ([data-announce]: a count, a confirmation).
var liveRegion = null;
function announce(text) {
  if (!liveRegion) {
    liveRegion = document.createElement("p");
    liveRegion.className = "visually-hidden";
    liveRegion.setAttribute("role", "status");
    liveRegion.id = "annonce";
    document.body.appendChild(liveRegion);
  }
  liveRegion.textContent = "";
  // A change after a tick is read even when the text is the same as last time.
  window.setTimeout(function () { liveRegion.textContent = text; }, 50);
}

function focusOn(element) {
  if (!element.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(element.tagName)) {
    element.setAttribute("tabindex", "-1");
  }
  element.focus();
}

// On load: a refused form's error summary takes focus (it is already first in <main> and an
// alert without script); otherwise a confirmation left by the previous page does, so it is seen
// and read wherever the page would have opened.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("resume-erreurs");
  var messages = document.querySelector("main .messages");
  if (summary) {
    focusOn(summary);
  } else if (messages && messages.textContent.trim()) {
    focusOn(messages);
  }
});

// A list whose rows are decided one by one (data-focus-row on the swap target): after the swap,
// focus goes back to the row the person acted on, or to the row that took its place, so the
// list does not jump to its top. Remembered before the request leaves.
var actedRow = null;
document.addEventListener("htmx:beforeRequest", function (event) {
  var active = document.activeElement;
  var row = active && active.closest ? active.closest("[data-focus-row] tbody tr") : null;
  actedRow = row ? { id: row.id, index: Array.prototype.indexOf.call(row.parentNode.children, row) } : null;
});

function rowToFocus(target) {
  if (!actedRow || !target.hasAttribute("data-focus-row")) { return null; }
  var rows = target.querySelectorAll("tbody tr");
  if (!rows.length) { return null; }
  var row = document.getElementById(actedRow.id) || rows[Math.min(actedRow.index, rows.length - 1)];
  return row.querySelector("input, button, a") || row;
}

// After an htmx swap, move keyboard and screen-reader focus to the new content, so nobody is
// left on a node that no longer exists. A swapped fragment marks its focus target with
// data-focus; a target marked data-focus-row keeps focus in its list; a target marked
// data-keep-focus leaves focus on the control that asked (a filter) when that control is still
// there; otherwise the swap target itself receives focus.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail.target;
  var said = Array.prototype.map.call(target.querySelectorAll("[data-announce]"), function (node) {
    return node.textContent.replace(/\s+/g, " ").trim();
  }).filter(Boolean).join(" ");
  if (said) { announce(said); }
  var focus = target.querySelector("[data-focus]") || rowToFocus(target);
  actedRow = null;
  if (!focus && target.hasAttribute("data-keep-focus") && document.activeElement &&
      document.activeElement !== document.body && document.body.contains(document.activeElement)) {
    return;
  }
  focusOn(focus || target);
});

// "Tick all" boxes are hidden until this script runs: without JavaScript each row is ticked
// by hand, which works just as well.
function enableCheckAll(root) {
  root.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.hidden = false;
    var wrap = box.closest("[data-check-all-wrap]");
    if (wrap) { wrap.hidden = false; }
    box.addEventListener("change", function () {
      var form = box.form || box.closest("form");
      form.querySelectorAll('input[type="checkbox"][name="' + box.dataset.checkAll + '"]').forEach(
        function (other) { other.checked = box.checked; }
      );
    });
  });
}
document.addEventListener("DOMContentLoaded", function () { enableCheckAll(document); });
document.addEventListener("htmx:afterSwap", function (event) { enableCheckAll(event.detail.target); });

// A few minutes before the signed-in session ends, a dialog says so and offers to extend it
// (base.html gives the end and the warning time). Extending posts the dialog's form; a server
// that cannot answer in JSON gets the plain form post, which comes back to this page.
(function () {
  var dialog = document.getElementById("session-warning");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var form = dialog.querySelector("form");
  var warnMs = Number(dialog.dataset.warnSeconds) * 1000;
  var timers = [];

  function show(ended) {
    dialog.querySelectorAll("[data-session-running]").forEach(function (node) { node.hidden = ended; });
    dialog.querySelector("[data-session-ended]").hidden = !ended;
    if (!dialog.open) { dialog.showModal(); }
  }

  function schedule(endsAt) {
    timers.forEach(clearTimeout);
    var end = new Date(endsAt).getTime();
    if (isNaN(end)) { return; }
    timers = [
      setTimeout(function () { show(false); }, Math.max(0, end - warnMs - Date.now())),
      setTimeout(function () { show(true); }, Math.max(0, end - Date.now())),
    ];
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" },
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      dialog.dataset.sessionEndsAt = data.ends_at;
      dialog.close();
      schedule(data.ends_at);
    }).catch(function () { form.submit(); });
  });
  dialog.querySelector("[data-session-close]").addEventListener("click", function () { dialog.close(); });
  schedule(dialog.dataset.sessionEndsAt);
})();

// The header's menus are details elements that work without JavaScript; with it, Escape closes
// the open one (focus back on its button) and a click elsewhere closes them.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") { return; }
  var open = document.activeElement && document.activeElement.closest(".site-header details[open]");
  if (open) {
    open.open = false;
    open.querySelector("summary").focus();
  }
});
document.addEventListener("click", function (event) {
  document.querySelectorAll(".site-menu[open], .nav-group details[open]").forEach(function (menu) {
    if (!menu.contains(event.target)) { menu.open = false; }
  });
});

// Unsaved changes: a form of the page that was typed into and not sent (or that came back
// refused, its fields marked aria-invalid) is "unsaved". Before any other action (another
// form's button, a link, leaving the page) the page asks first.
var unsaved = new Set();
function isTracked(form) {
  return form && (form.method || "").toLowerCase() === "post" && !form.hasAttribute("data-no-unsaved");
}
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll('form [aria-invalid="true"]').forEach(function (field) {
    if (isTracked(field.form)) { unsaved.add(field.form); }
  });
});
// What was typed counts; a ticked box or a chosen option is redone in a click (and the language
// chooser of the footer, a form of its own, must not hold every other form back).
document.addEventListener("input", function (event) {
  var field = event.target;
  if (isTracked(field.form) && (field.tagName === "TEXTAREA" ||
      (field.tagName === "INPUT" && !/^(checkbox|radio|file)$/.test(field.type)))) {
    unsaved.add(field.form);
  }
});
function othersUnsaved(form) {
  return Array.from(unsaved).some(function (other) {
    return other !== form && document.body.contains(other);
  });
}
var leaving = false;
function confirmLeave() {
  if (window.confirm(script.dataset.unsaved)) { leaving = true; return true; }
  return false;
}
document.addEventListener("submit", function (event) {
  if (othersUnsaved(event.target) && !confirmLeave()) {
    event.preventDefault();
    event.stopImmediatePropagation();
    return;
  }
  unsaved.delete(event.target);
  // A form htmx sends stays on this page; any other submission leaves it.
  if (!event.target.hasAttribute("data-hx-post") && !event.target.hasAttribute("data-hx-get")) { leaving = true; }
}, true);
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a[href]") : null;
  if (!link || link.getAttribute("href").charAt(0) === "#" || !othersUnsaved(null)) { return; }
  if (!confirmLeave()) { event.preventDefault(); }
}, true);
window.addEventListener("beforeunload", function (event) {
  if (!leaving && othersUnsaved(null)) { event.preventDefault(); event.returnValue = ""; }
});

// A form whose buttons act on different things (data-no-implicit-submit) is never sent by
// Enter in one of its boxes: the person presses the button they mean.
document.addEventListener("keydown", function (event) {
  var field = event.target;
  if (event.key === "Enter" && field.form && field.form.hasAttribute("data-no-implicit-submit") &&
      field.tagName === "INPUT" && !/^(submit|button|reset|image)$/.test(field.type)) {
    event.preventDefault();
  }
}, true);

// A "Print" button (a refusal for a maker without an account): the browser's own print.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) { window.print(); }
});
