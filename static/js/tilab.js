// After an htmx swap, move keyboard and screen-reader focus to the new content, so nobody is
// left on a node that no longer exists. A swapped fragment marks its focus target with
// data-focus; otherwise the swap target itself receives focus.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail.target;
  var focus = target.querySelector("[data-focus]") || target;
  if (!focus.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(focus.tagName)) {
    focus.setAttribute("tabindex", "-1");
  }
  focus.focus();
});

// "Tick all" boxes are hidden until this script runs: without JavaScript each row is ticked
// by hand, which works just as well.
function enableCheckAll(root) {
  root.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.hidden = false;
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
