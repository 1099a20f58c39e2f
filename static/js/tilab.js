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
