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
