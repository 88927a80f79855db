/* Parallax: small enhancements on top of htmx. Pages work without this file.
 *
 * After htmx swaps content in, keyboard and screen-reader users would lose their
 * place (the element they activated is replaced), so focus is moved to the new
 * content: an expanded statement, or the active tab of a swapped comparison view.
 */
(function () {
  "use strict";

  // Wide tables scroll sideways inside their region (.table-scroll, .table-wrap): say
  // so when they do, and fade the edge while there is more to the right.
  function markScrollers(root) {
    (root || document).querySelectorAll(".table-scroll, .table-wrap").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        var atEnd = el.scrollLeft + el.clientWidth >= el.scrollWidth - 1;
        el.setAttribute("data-scrolls", atEnd ? "end" : "more");
      } else {
        el.removeAttribute("data-scrolls");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { markScrollers(); });
  window.addEventListener("resize", function () { markScrollers(); });
  document.addEventListener("scroll", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches(".table-scroll, .table-wrap")) {
      markScrollers(el.parentNode);
    }
  }, true);
  document.addEventListener("htmx:afterSettle", function () { markScrollers(); });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (!target || !target.isConnected) {
      return;
    }
    if (target.matches(".statement-card.is-expanded")) {
      target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: false });
      return;
    }
    if (target.id === "incident-view") {
      var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
      // A change in the filter form keeps focus on its select (htmx restores focus
      // to elements with an id); a tab link is replaced, so focus the new active tab.
      if (trigger && trigger.closest && trigger.closest(".tabs")) {
        var current = target.querySelector('.tabs [aria-current="page"]');
        if (current) {
          current.focus();
        }
      }
    }
  });
})();
