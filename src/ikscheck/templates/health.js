(function () {
  "use strict";
  // The page's only script (its SHA-256 is in the Content-Security-Policy). It reads nothing
  // from the report but the page itself: status filter, search, copy buttons, open on a link.
  var doc = document;
  var tools = doc.getElementById("tools");
  var query = doc.getElementById("q");
  var shown = doc.getElementById("shown");
  var items = Array.prototype.slice.call(doc.querySelectorAll(".a>details, .c"));
  var texts = null;
  var timer = 0;

  function apply() {
    var on = {};
    tools.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      on[box.value] = box.checked;
    });
    var q = query.value.trim().toLowerCase();
    if (q && !texts) {
      texts = items.map(function (el) { return el.textContent.toLowerCase(); });
    }
    var count = 0;
    var total = 0;
    items.forEach(function (el, i) {
      var classes = el.classList;
      // A row's class is its status; a row without one is a pass.
      var status = classes.length ? classes[classes.length - 1] : "pass";
      var visible = on[status] && (!q || texts[i].indexOf(q) >= 0);
      el.hidden = !visible;
      if (el.tagName === "DETAILS") {
        total += 1;
        count += visible ? 1 : 0;
      }
    });
    doc.querySelectorAll("#all .a, #all .g").forEach(function (box) {
      var any = box.querySelector(".a>details:not([hidden])") !== null;
      box.hidden = !any;
      if (q && any && box.tagName === "DETAILS") box.open = true;
    });
    shown.textContent = count === total ? "" : count + " of " + total + " shown";
  }

  function reveal() {
    var el = location.hash ? doc.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    for (; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
  }

  function copied(button, ok) {
    button.classList.add(ok ? "done" : "failed");
    setTimeout(function () { button.classList.remove("done", "failed"); }, 1500);
  }

  function copy(button) {
    var pre = button.nextElementSibling;
    var fallback = function () {
      var range = doc.createRange();
      range.selectNodeContents(pre);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      var ok = false;
      try { ok = doc.execCommand("copy"); } catch (e) { ok = false; }
      copied(button, ok);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(pre.textContent).then(function () { copied(button, true); }, fallback);
    } else {
      fallback();
    }
  }

  doc.querySelectorAll("pre.fix").forEach(function (pre) {
    var button = doc.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.setAttribute("aria-label", "Copy the remediation");
    var box = doc.createElement("div");
    box.className = "fx";
    pre.parentNode.insertBefore(box, pre);
    box.appendChild(button);
    box.appendChild(pre);
  });
  doc.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy") : null;
    if (button) copy(button);
  });
  tools.addEventListener("change", apply);
  query.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 120);
  });
  window.addEventListener("hashchange", reveal);
  tools.hidden = false;
  reveal();
})();
