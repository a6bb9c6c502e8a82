/* Lab run page: keep the live activity log tidy and readable, copy the CLI settings,
   confirm abandoning, and show notices the server sends with htmx responses. */
(function () {
  "use strict";
  var log = document.getElementById("run-events");

  function scrollBox() { return log; }
  function atBottom() {
    var box = scrollBox();
    return !box || box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  }
  function toBottom() { var box = scrollBox(); if (box) box.scrollTop = box.scrollHeight; }

  var stick = true;
  if (scrollBox()) {
    scrollBox().addEventListener("scroll", function () { stick = atBottom(); }, { passive: true });
    toBottom();
  }

  // A poll and a button's response can both carry the same new events: keep the first.
  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    if (!log || !event.detail || !event.detail.target || event.detail.target.id !== "run-events") return;
    var seen = {};
    Array.prototype.slice.call(log.children).forEach(function (item) {
      if (seen[item.id]) item.remove(); else seen[item.id] = true;
    });
    if (stick) toBottom();
  });

  // A swapped <details> keeps the open/closed state the learner gave it.
  var openState = {};
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var old = event.detail && event.detail.target;
    if (old && old.tagName === "DETAILS" && old.id) openState[old.id] = old.open;
  });
  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var id = target && target.id;
    if (!id || !(id in openState)) return;
    var fresh = document.getElementById(id);
    if (fresh && fresh.tagName === "DETAILS") fresh.open = openState[id];
  });

  document.body.addEventListener("htmx:afterSettle", function () { if (stick) toBottom(); });

  // Keyboard focus survives the live swap of a step's buttons when it sat on one of them.
  var focusedId = null;
  document.body.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusedId = active && active.id ? active.id : null;
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    if (!focusedId) return;
    var again = document.getElementById(focusedId);
    if (again && document.activeElement !== again && document.activeElement === document.body) again.focus();
  });

  var notice = document.getElementById("run-notice");
  document.body.addEventListener("labs:notice", function (event) {
    if (!notice) return;
    notice.textContent = (event.detail && event.detail.value) || String(event.detail || "");
    notice.hidden = false;
    setTimeout(function () { notice.hidden = true; }, 8000);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  }, true);
  document.body.addEventListener("htmx:confirm", function (event) {
    var form = event.target.closest && event.target.closest("form[data-confirm]");
    if (!form) return;
    event.preventDefault();
    if (window.confirm(form.dataset.confirm)) event.detail.issueRequest(true);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });
})();

/* Open every step's tab set on the run's default tab (the AWS CLI in the local sandbox, which
   has no console). The learner's own choice afterwards is left alone. */
(function () {
  var layout = document.querySelector("[data-default-tab]");
  if (!layout) return;
  var wanted = layout.getAttribute("data-default-tab");
  layout.querySelectorAll(".tabbed-set").forEach(function (set) {
    var labels = set.querySelectorAll(".tabbed-labels > label");
    labels.forEach(function (label) {
      if (label.textContent.trim() === wanted) {
        var input = document.getElementById(label.getAttribute("for"));
        if (input) input.checked = true;
      }
    });
  });
})();

/* Every command block of a step gets a Copy button (the same bar as on the cheat sheets). */
(function () {
  var copyText = window.saCopyText;  // courseware/js/site.js
  document.querySelectorAll(".step-instructions .prose div.highlight").forEach(function (block) {
    if (block.querySelector(".code-copy")) return;
    var code = block.querySelector("pre code") || block.querySelector("pre");
    if (!code) return;
    var bar = document.createElement("div");
    bar.className = "code-bar";
    var lang = (block.className.match(/language-(\w+)/) || [])[1] || "";
    var label = document.createElement("span");
    label.className = "code-lang";
    label.textContent = lang;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "code-copy";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      copyText(code.textContent.replace(/\n$/, "")).then(function () {
        button.textContent = "Copied";
      }, function () {
        button.textContent = "Select and copy";
      });
      window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
    });
    bar.appendChild(label);
    bar.appendChild(button);
    block.insertBefore(bar, block.firstChild);
  });
})();
