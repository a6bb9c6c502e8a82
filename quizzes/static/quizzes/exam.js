/* Exam page: one question at a time with free navigation, answers saved to the server as
   they are given, flags, and the countdown to the server's deadline. Without JavaScript the
   page still works: every question is shown, with a Save button each. */
(function () {
  "use strict";
  var exam = document.querySelector("[data-exam]");
  if (!exam) return;
  var questions = Array.prototype.slice.call(exam.querySelectorAll("[data-question]"));
  var jumps = Array.prototype.slice.call(exam.querySelectorAll(".question-grid a"));
  var state = exam.querySelector("[data-save-state]");
  var answeredCount = exam.querySelector("[data-answered]");
  var pending = 0;
  var current = 1;
  var shownAt = Date.now();
  exam.classList.add("one-at-a-time");

  function csrf(form) { return form.querySelector("[name=csrfmiddlewaretoken]").value; }
  function setState(text, error) {
    if (!state) return;
    state.textContent = text;
    state.classList.toggle("error", !!error);
  }
  function elapsed() {
    var seconds = Math.round((Date.now() - shownAt) / 1000);
    shownAt = Date.now();
    return seconds;
  }

  function show(number, focus) {
    number = Math.max(1, Math.min(questions.length, number));
    current = number;
    questions.forEach(function (q, i) { q.hidden = i + 1 !== number; });
    jumps.forEach(function (a, i) {
      if (i + 1 === number) a.setAttribute("aria-current", "step"); else a.removeAttribute("aria-current");
    });
    // On a phone the question strip scrolls sideways: keep the current question in view.
    var here = exam.querySelector(".question-grid [aria-current='step']");
    if (here && here.scrollIntoView) here.scrollIntoView({ block: "nearest", inline: "center" });
    shownAt = Date.now();
    if (focus) {
      var heading = questions[number - 1].querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    // Only after a move: a hash set during load would make the browser scroll to it.
    if (focus && history.replaceState) history.replaceState(null, "", "#q" + number);
  }

  function post(form, extra) {
    var data = new FormData(form);
    Object.keys(extra || {}).forEach(function (k) { data.set(k, extra[k]); });
    pending += 1;
    setState("Saving…");
    return fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf(form) }
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      pending -= 1;
      if (result.body.closed) { window.location = exam.getAttribute("data-results-url"); return null; }
      if (!result.body.ok) { setState(result.body.error || "Not saved", true); return null; }
      if (!pending) setState("All answers saved");
      return result.body;
    }).catch(function () {
      pending -= 1;
      setState("Not saved: check your connection; your choice will be sent again", true);
      return null;
    });
  }

  // A screen reader reads each square of the grid as "Question 3, answered, flagged": keep it true.
  function labelJump(i) {
    var a = jumps[i];
    a.setAttribute("aria-label", "Question " + (i + 1) + (a.classList.contains("answered") ? ", answered" : "") +
      (a.classList.contains("flagged") ? ", flagged" : ""));
  }

  function refreshAnswered() {
    var count = 0;
    questions.forEach(function (q, i) {
      var answered = !!q.querySelector("input[name=option]:checked");
      if (answered) count += 1;
      jumps[i].classList.toggle("answered", answered);
      labelJump(i);
    });
    if (answeredCount) answeredCount.textContent = count;
  }

  exam.querySelectorAll("form[data-autosave]").forEach(function (form) {
    form.addEventListener("change", function () {
      refreshAnswered();
      post(form, { time_spent: elapsed() }).then(function (body) { if (body === null) form.dataset.dirty = "1"; else delete form.dataset.dirty; });
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); post(form, { time_spent: elapsed() }); });
  });

  exam.querySelectorAll(".flag-form").forEach(function (form, index) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = form.querySelector("[name=flagged]");
      var flag = input.value === "1";
      post(form, { flagged: flag ? "1" : "0" }).then(function (body) {
        if (!body) return;
        input.value = flag ? "0" : "1";
        var button = form.querySelector("button");
        button.textContent = flag ? "⚑ Flagged" : "⚑ Flag for review";
        button.setAttribute("aria-pressed", flag ? "true" : "false");
        button.classList.toggle("flagged", flag);
        button.classList.toggle("secondary", !flag);
        jumps[index].classList.toggle("flagged", flag);
        labelJump(index);
      });
    });
  });

  exam.addEventListener("click", function (event) {
    var link = event.target.closest("[data-jump]");
    if (!link) return;
    event.preventDefault();
    show(parseInt(link.getAttribute("data-jump"), 10), true);
  });

  // Keyboard: N and P move to the next and previous question (arrows stay with the options).
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (/^(TEXTAREA|SELECT)$/.test(tag) || (tag === "INPUT" && !/radio|checkbox/.test(document.activeElement.type))) return;
    if (event.key === "n" || event.key === "N") { event.preventDefault(); show(current + 1, true); }
    if (event.key === "p" || event.key === "P") { event.preventDefault(); show(current - 1, true); }
    // 1-6 or A-F pick the option with that number or letter (a checkbox toggles).
    var index = "123456".indexOf(event.key);
    if (index < 0 && /^[a-fA-F]$/.test(event.key)) index = "abcdef".indexOf(event.key.toLowerCase());
    if (index >= 0) {
      var inputs = questions[current - 1].querySelectorAll("input[name=option]");
      if (inputs[index]) { event.preventDefault(); inputs[index].click(); }
    }
  });

  // Leaving for the review screen waits for answers still in flight.
  exam.querySelectorAll("[data-review-link]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!pending) return;
      event.preventDefault();
      var wait = setInterval(function () { if (!pending) { clearInterval(wait); window.location = link.href; } }, 100);
    });
  });
  window.addEventListener("beforeunload", function (event) { if (pending) { event.preventDefault(); event.returnValue = ""; } });

  // Countdown to the server's deadline; at zero the server submits, so go to the results.
  var countdown = exam.querySelector("[data-countdown]");
  var deadline = Date.parse(exam.getAttribute("data-deadline"));
  if (countdown && !isNaN(deadline)) {
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      countdown.textContent = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
      countdown.parentNode.classList.toggle("urgent", left <= 300);
      // Screen readers hear the time at a few moments only, not every second.
      var announce = exam.querySelector("[data-countdown-announce]");
      var minutesLeft = Math.ceil(left / 60);
      if (announce && [30, 10, 5, 1].indexOf(minutesLeft) >= 0 && left % 60 === 0 && left > 0) {
        announce.textContent = minutesLeft + (minutesLeft === 1 ? " minute" : " minutes") + " left.";
      }
      if (left === 0) { clearInterval(timer); setTimeout(function () { window.location = exam.getAttribute("data-results-url"); }, 1500); }
    };
    var timer = setInterval(tick, 1000);
    tick();
  }

  var fromHash = (location.hash.match(/^#q(\d+)$/) || [])[1];
  show(parseInt(fromHash || "1", 10), false);
})();
