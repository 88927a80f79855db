/* Parallax editing: turn a text selection inside a statement into character offsets.
 *
 * A statement's text element carries data-span-text="<statement id>"; its text content
 * is exactly the statement's text (highlights are <mark> elements around parts of it).
 * Forms with data-span-form="<same id>" get span_start, span_end and span_quote filled
 * in, so the server can check them against the stored text. Highlights show their
 * annotation notes on hover and on keyboard focus.
 * No inline scripts anywhere: the Content Security Policy forbids them.
 */
(function () {
  "use strict";

  function textRoot(node) {
    var el = node && (node.nodeType === 1 ? node : node.parentElement);
    return el ? el.closest("[data-span-text]") : null;
  }

  // Characters from the start of `root` to (container, offset).
  function offsetWithin(root, container, offset) {
    var range = document.createRange();
    range.selectNodeContents(root);
    range.setEnd(container, offset);
    return range.toString().length;
  }

  function currentSpan() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var range = sel.getRangeAt(0);
    var root = textRoot(range.startContainer);
    if (!root || root !== textRoot(range.endContainer)) return null;
    var start = offsetWithin(root, range.startContainer, range.startOffset);
    var end = offsetWithin(root, range.endContainer, range.endOffset);
    var text = root.textContent;
    // Selections often catch a space at either end; the span is the words only.
    while (start < end && /\s/.test(text.charAt(start))) start++;
    while (end > start && /\s/.test(text.charAt(end - 1))) end--;
    if (end <= start) return null;
    return { root: root, id: root.getAttribute("data-span-text"), start: start, end: end, quote: text.slice(start, end) };
  }

  function fill(span) {
    document.querySelectorAll('[data-span-form="' + span.id + '"]').forEach(function (form) {
      var s = form.querySelector('[name="span_start"]');
      var e = form.querySelector('[name="span_end"]');
      var q = form.querySelector('[name="span_quote"]');
      if (s) s.value = span.start;
      if (e) e.value = span.end;
      if (q) q.value = span.quote;
    });
    document.querySelectorAll('[data-selection-status="' + span.id + '"]').forEach(function (el) {
      el.textContent = "Selected: “" + span.quote + "” (characters " + span.start + "–" + span.end + ").";
    });
  }

  function onSelection() {
    var span = currentSpan();
    if (span) fill(span);
  }

  document.addEventListener("mouseup", onSelection);
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey || event.key === "Shift") onSelection();
  });
  document.addEventListener("touchend", onSelection);

  // Typing the words by hand: the typed words win, the server locates them.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches('[data-span-form] [name="span_quote"]')) return;
    var form = input.closest("[data-span-form]");
    ["span_start", "span_end"].forEach(function (name) {
      var field = form.querySelector('[name="' + name + '"]');
      if (field) field.value = "";
    });
  });

  // Notes of highlighted words, shown beside the highlight on hover and focus.
  var popover = null;
  function showNotes(mark) {
    var ids = (mark.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    var parts = ids.map(function (id) {
      var item = document.getElementById(id);
      return item ? item.textContent.replace(/\s+/g, " ").trim() : "";
    }).filter(Boolean);
    if (!parts.length) return;
    if (!popover) {
      popover = document.createElement("div");
      popover.className = "hl-popover";
      popover.setAttribute("role", "tooltip");
      document.body.appendChild(popover);
    }
    popover.textContent = "";
    parts.forEach(function (text) {
      var p = document.createElement("p");
      p.textContent = text;
      popover.appendChild(p);
    });
    var box = mark.getBoundingClientRect();
    popover.style.left = Math.max(8, window.scrollX + box.left) + "px";
    popover.style.top = window.scrollY + box.bottom + 6 + "px";
    popover.hidden = false;
  }
  function hideNotes() {
    if (popover) popover.hidden = true;
  }
  function markOf(event) {
    return event.target.closest ? event.target.closest("[data-span-text] mark") : null;
  }
  document.addEventListener("mouseover", function (event) {
    var mark = markOf(event);
    if (mark) showNotes(mark);
  });
  document.addEventListener("mouseout", function (event) {
    if (markOf(event)) hideNotes();
  });
  document.addEventListener("focusin", function (event) {
    var mark = markOf(event);
    if (mark) showNotes(mark); else hideNotes();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hideNotes();
  });
})();
