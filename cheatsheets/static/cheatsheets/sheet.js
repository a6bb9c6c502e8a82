/* Sheet page: what the rendered Markdown cannot do by itself. Wide tables get a scroll region
   that says when it scrolls; code blocks get their language and a copy button; the phone's
   table of contents closes after a jump; links the Sources list does not carry keep their
   address in print. Everything here is an enhancement: without it the page still reads. */
(function () {
  "use strict";
  var prose = document.querySelector(".sheet .prose");
  if (!prose) return;

  // One polite live region for short confirmations ("Copied").
  var announcer = document.createElement("p");
  announcer.className = "sr-only";
  announcer.setAttribute("role", "status");
  document.body.appendChild(announcer);
  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // Wide tables: a focusable region (keyboard users can scroll it), edge shadows and a hint
  // while there is more to the side.
  var regions = [];
  Array.prototype.forEach.call(prose.querySelectorAll("table"), function (table, index) {
    var wrapper = document.createElement("div");
    wrapper.className = "table-scroll";
    var hint = document.createElement("p");
    hint.className = "table-hint";
    hint.id = "table-hint-" + index;
    hint.textContent = "Scroll sideways for more columns →";
    table.parentNode.insertBefore(hint, table);
    table.parentNode.insertBefore(wrapper, table);
    wrapper.appendChild(table);
    regions.push({ wrapper: wrapper, hint: hint });
    wrapper.addEventListener("scroll", function () { update(wrapper, hint); }, { passive: true });
  });
  function update(wrapper, hint) {
    var overflow = wrapper.scrollWidth - wrapper.clientWidth > 2;
    wrapper.classList.toggle("is-scrollable", overflow);
    wrapper.classList.toggle("at-start", wrapper.scrollLeft <= 2);
    wrapper.classList.toggle("at-end", wrapper.scrollLeft >= wrapper.scrollWidth - wrapper.clientWidth - 2);
    hint.hidden = !overflow;
    if (overflow) {
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      wrapper.setAttribute("aria-label", "Table, scrolls sideways");
      wrapper.setAttribute("aria-describedby", hint.id);
    } else {
      ["tabindex", "role", "aria-label", "aria-describedby"].forEach(function (name) { wrapper.removeAttribute(name); });
    }
  }
  function updateAll() { regions.forEach(function (region) { update(region.wrapper, region.hint); }); }
  updateAll();
  window.addEventListener("resize", updateAll);

  // Code blocks: a bar with the language (from Pygments' language-<name> class) and a copy button.
  var LANGUAGES = { bash: "Bash", sh: "Shell", shell: "Shell", json: "JSON", python: "Python", py: "Python",
                    yaml: "YAML", yml: "YAML", javascript: "JavaScript", js: "JavaScript", typescript: "TypeScript",
                    sql: "SQL", html: "HTML", xml: "XML", toml: "TOML", text: "" };
  var copyText = window.saCopyText;  // courseware/js/site.js
  Array.prototype.forEach.call(prose.querySelectorAll("div.highlight"), function (block) {
    var code = block.querySelector("pre code") || block.querySelector("pre");
    if (!code) return;
    var match = /(?:^|\s)language-([\w+-]+)/.exec(block.className);
    var name = match ? (match[1] in LANGUAGES ? LANGUAGES[match[1]] : match[1]) : "";
    var bar = document.createElement("div");
    bar.className = "code-bar";
    var label = document.createElement("span");
    label.className = "code-lang";
    label.textContent = name;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "code-copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", name ? "Copy " + name + " code" : "Copy code");
    button.addEventListener("click", function () {
      copyText(code.textContent.replace(/\n$/, "")).then(function () {
        button.textContent = "Copied";
        announce("Code copied to the clipboard");
      }, function () {
        button.textContent = "Press Ctrl+C";
        var range = document.createRange();
        range.selectNodeContents(code);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        announce("Could not copy: the code is selected, press Control C");
      });
      window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
    });
    bar.appendChild(label);
    bar.appendChild(button);
    block.insertBefore(bar, block.firstChild);
    block.classList.add("has-bar");
  });

  // The phone's table of contents folds away once a section is chosen.
  var mobileToc = document.querySelector(".toc-mobile");
  if (mobileToc) {
    mobileToc.addEventListener("click", function (event) {
      if (event.target.closest("a[href^='#']")) mobileToc.open = false;
    });
  }

  // Print: the Sources list carries the documentation addresses; a link it does not list keeps
  // its address after the text.
  var listed = {};
  Array.prototype.forEach.call(document.querySelectorAll(".sources a[href]"), function (link) {
    listed[link.href.split("#")[0]] = true;
  });
  Array.prototype.forEach.call(prose.querySelectorAll("a[href^='http']"), function (link) {
    if (!listed[link.href.split("#")[0]]) link.classList.add("print-url");
  });
})();
