/* Parallax editing: turn a text selection inside a statement into character offsets
 * (counted in characters, as the server counts them: see codePoints below).
 *
 * A statement's text element carries data-span-text="<statement id>"; its text content
 * is exactly the statement's text (highlights are <mark> elements around parts of it;
 * anything else inside it, such as note numbers, carries data-span-skip).
 * Forms with data-span-form="<same id>" get span_start, span_end and span_quote filled
 * in, so the server can check them against the stored text. Highlights show their
 * annotation notes on hover and on keyboard focus.
 * No inline scripts anywhere: the Content Security Policy forbids them.
 */
(function () {
  "use strict";
  // base.html may load this for editors on every page, and the editing pages too.
  if (window.parallaxSelection) return;
  window.parallaxSelection = true;

  function textRoot(node) {
    var el = node && (node.nodeType === 1 ? node : node.parentElement);
    return el ? el.closest("[data-span-text]") : null;
  }

  // Text nodes that belong to the statement's words: elements marked
  // data-span-skip (note numbers, labels) inside the text element do not count.
  function wordNodes(root) {
    var nodes = [];
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        var skip = node.parentElement.closest("[data-span-skip]");
        return skip && root.contains(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  }

  function plainText(root) {
    return wordNodes(root).map(function (n) { return n.data; }).join("");
  }

  // Characters of the statement's words from the start of `root` to (container, offset).
  function offsetWithin(root, container, offset) {
    var point = document.createRange();
    point.setStart(container, offset);
    var count = 0;
    wordNodes(root).forEach(function (node) {
      var nodeRange = document.createRange();
      nodeRange.selectNodeContents(node);
      if (nodeRange.compareBoundaryPoints(Range.END_TO_START, point) >= 0) return; // after
      if (nodeRange.compareBoundaryPoints(Range.START_TO_END, point) <= 0) {
        count += node.data.length; // wholly before the point
      } else {
        count += node === container ? offset : 0; // the point is inside this node
      }
    });
    return count;
  }

  function currentSpan() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var range = sel.getRangeAt(0);
    var root = textRoot(range.startContainer);
    if (!root || root !== textRoot(range.endContainer)) return null;
    var start = offsetWithin(root, range.startContainer, range.startOffset);
    var end = offsetWithin(root, range.endContainer, range.endOffset);
    var text = plainText(root);
    // Selections often catch a space at either end; the span is the words only.
    while (start < end && /\s/.test(text.charAt(start))) start++;
    while (end > start && /\s/.test(text.charAt(end - 1))) end--;
    if (end <= start) return null;
    return {
      root: root,
      id: root.getAttribute("data-span-text"),
      start: codePoints(text, start),
      end: codePoints(text, end),
      quote: text.slice(start, end)
    };
  }

  // The one conversion between the two ways of counting. The DOM counts UTF-16 code
  // units (an emoji or any character beyond U+FFFF is two); the server counts
  // characters (code points), as Python's str does. Offsets are counted in the DOM's
  // units up to here and sent to the server as characters.
  function codePoints(text, units) {
    var count = 0;
    for (var i = 0; i < units; i++) {
      var c = text.charCodeAt(i);
      // A high surrogate followed by a low one is one character.
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < units) {
        var next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
      }
      count++;
    }
    return count;
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
