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

  // htmx leaves the page as it was when an answer is an error (it swaps 2xx only):
  // without this, an editor whose save was refused would see nothing happen.
  var REFUSED = {
    400: "Your change was refused and nothing was saved",
    403: "You are not allowed to do this",
    404: "It no longer exists (deleted meanwhile?)",
    409: "Someone else changed it meanwhile; nothing was saved. Reload the page to see their version",
    413: "What you sent is too large",
    503: "The database cannot be reached at the moment; nothing was saved. Try again in a minute"
  };
  function showError(text) {
    var box = document.getElementById("htmx-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "htmx-error";
      box.className = "form-errors htmx-error";
      box.setAttribute("role", "alert");
      var main = document.getElementById("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr) return;
    var text = REFUSED[xhr.status] || "The server could not do this (error " + xhr.status + ")";
    var type = xhr.getResponseHeader("Content-Type") || "";
    // A plain-text answer is the server's own short explanation (core.middleware).
    if (type.indexOf("text/plain") === 0 && xhr.responseText && xhr.responseText.length < 500) {
      text = xhr.responseText;
    } else {
      text += ".";
    }
    showError(text);
  });
  document.addEventListener("htmx:sendError", function () {
    showError("The server could not be reached; nothing was saved. Check the connection and try again.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("htmx-error");
    if (box) box.hidden = true;
  });
})();
