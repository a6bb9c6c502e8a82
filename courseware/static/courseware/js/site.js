/* Site behaviour: theme toggle, mobile menu, "/" to search, print, and on sheet pages the
   reading progress bar and the table of contents that follows the scroll. No dependencies. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  // Theme: the inline script in <head> applied the saved or system theme; the toggle
  // switches and remembers. Without a saved choice, follow the system as it changes.
  var toggle = document.querySelector(".theme-toggle");
  function labelToggle() {
    if (!toggle) return;
    var dark = root.getAttribute("data-theme") === "dark";
    toggle.setAttribute("aria-label", dark ? "Switch to light theme" : "Switch to dark theme");
    toggle.setAttribute("aria-pressed", dark ? "true" : "false");
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("theme", next); } catch (e) {}
      labelToggle();
    });
    labelToggle();
  }
  var media = window.matchMedia("(prefers-color-scheme: dark)");
  if (media.addEventListener) {
    media.addEventListener("change", function (event) {
      var saved = null;
      try { saved = localStorage.getItem("theme"); } catch (e) {}
      if (!saved) { root.setAttribute("data-theme", event.matches ? "dark" : "light"); labelToggle(); }
    });
  }

  // Mobile menu.
  var navToggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (navToggle && nav) {
    navToggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      navToggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        nav.classList.remove("open");
        navToggle.setAttribute("aria-expanded", "false");
        navToggle.focus();
      }
    });
  }

  // "/" focuses the search box, as on most documentation sites.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || document.activeElement.isContentEditable) return;
    var box = document.getElementById("search-q") || document.getElementById("index-q") || document.getElementById("nav-q");
    if (box) {
      event.preventDefault();
      if (nav && navToggle && box.id === "nav-q" && getComputedStyle(navToggle).display !== "none") {
        nav.classList.add("open");
        navToggle.setAttribute("aria-expanded", "true");
      }
      box.focus();
    }
  });

  // Forms marked data-started report how long the learner spent before sending them.
  var loadedAt = Date.now();
  document.querySelectorAll("form[data-started]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var field = form.querySelector("[name=time_spent]");
      if (field) field.value = Math.round((Date.now() - loadedAt) / 1000);
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Printing opens every collapsed answer, and closes them again afterwards.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll(".prose details:not([open])"), function (d) { d.open = true; return true; });
  });
  window.addEventListener("afterprint", function () { opened.forEach(function (d) { d.open = false; }); opened = []; });

  // Sheet page: reading progress and the active table-of-contents entry.
  var bar = document.querySelector(".reading-progress span");
  var article = document.querySelector(".sheet");
  var tocLinks = Array.prototype.slice.call(document.querySelectorAll(".sheet-toc a[href^='#']"));
  var headings = tocLinks.map(function (link) {
    return document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
  });
  function onScroll() {
    if (bar && article) {
      var rect = article.getBoundingClientRect();
      var total = rect.height - window.innerHeight;
      var done = total > 0 ? Math.min(1, Math.max(0, -rect.top / total)) : 1;
      bar.style.width = (done * 100).toFixed(1) + "%";
    }
    if (tocLinks.length) {
      var current = 0;
      headings.forEach(function (heading, index) {
        if (heading && heading.getBoundingClientRect().top < 120) current = index;
      });
      tocLinks.forEach(function (link, index) {
        link.classList.toggle("active", index === current);
        if (index === current) link.setAttribute("aria-current", "location"); else link.removeAttribute("aria-current");
      });
    }
  }
  if (bar || tocLinks.length) {
    window.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("resize", onScroll);
    onScroll();
  }
})();

/* A form that ends something for good (submitting an exam, finishing a practice early) asks
   first, saying what is left undone. Without JavaScript it submits directly. */
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form && form.getAttribute && form.getAttribute("data-confirm-submit");
  if (message && !window.confirm(message)) event.preventDefault();
});

/* After "Check my answer" the page opens on the verdict (#verdict): focus it, so screen
   readers and the keyboard start there too. */
(function () {
  if (window.location.hash !== "#verdict") return;
  var verdict = document.getElementById("verdict");
  if (verdict) verdict.focus({ preventScroll: false });
})();

/* Results: "expand all" opens (or folds) every question's explanations at once. */
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-expand-all]");
  if (!button) return;
  var open = button.getAttribute("aria-expanded") !== "true";
  document.querySelectorAll("details.explain").forEach(function (details) { details.open = open; });
  button.setAttribute("aria-expanded", open ? "true" : "false");
  button.textContent = open ? "fold all" : "expand all";
});

/* Times the server writes in UTC are shown in the learner's own time zone. */
document.querySelectorAll("time[data-local-time]").forEach(function (node) {
  var when = new Date(node.getAttribute("datetime"));
  if (isNaN(when)) return;
  var options = node.getAttribute("data-local-time") === "datetime"
    ? { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }
    : { hour: "2-digit", minute: "2-digit" };
  node.textContent = when.toLocaleString([], options);
  node.title = when.toISOString().replace(".000Z", " UTC").replace("T", " ");
});

/* Practice: 1-6 or A-F choose an option, as in the exam. */
(function () {
  var form = document.querySelector("form.answer-form[data-started]");
  if (!form) return;
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var active = document.activeElement;
    if (active && (/^(TEXTAREA|SELECT)$/.test(active.tagName) || (active.tagName === "INPUT" && !/radio|checkbox/.test(active.type)))) return;
    var index = "123456".indexOf(event.key);
    if (index < 0 && /^[a-fA-F]$/.test(event.key)) index = "abcdef".indexOf(event.key.toLowerCase());
    var inputs = form.querySelectorAll("input[name=option]");
    if (index >= 0 && inputs[index]) { event.preventDefault(); inputs[index].click(); inputs[index].focus(); }
  });
})();

/* A code block wider than the page scrolls sideways: make it reachable by keyboard (WCAG 2.1.1).
   Blocks in a closed <details> or a hidden tab have no width yet: look again when one opens. */
(function () {
  function mark() {
    document.querySelectorAll(".prose pre").forEach(function (pre) {
      if (pre.clientWidth && pre.scrollWidth > pre.clientWidth && !pre.hasAttribute("tabindex")) {
        pre.setAttribute("tabindex", "0");
        pre.setAttribute("role", "region");
        pre.setAttribute("aria-label", "Code (scrolls sideways)");
      }
    });
  }
  mark();
  document.addEventListener("DOMContentLoaded", mark);  // after every deferred script (a lab page picks its default tab)
  document.addEventListener("toggle", mark, true);
  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest(".tabbed-set")) mark();
  });
  var pending;
  window.addEventListener("resize", function () { clearTimeout(pending); pending = setTimeout(mark, 200); });
})();

/* Copy text to the clipboard; shared by the sheets' and the labs' code-block Copy buttons.
   Plain HTTP on a LAN address has no clipboard API: copy a hidden selection instead. */
window.saCopyText = function (text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  return new Promise(function (resolve, reject) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    if (ok) resolve(); else reject(new Error("copy refused"));
  });
};
