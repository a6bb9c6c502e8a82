/* The video lab's renditions panel: switch the rendition a player shows (keeping its place),
   and reload the list when the run moves on (verify passed, torn down) without reloading
   the page. The run page's live updates swap #run-status and #run-verify; their classes
   carry the run's state. */
(function () {
  "use strict";
  var panel = document.getElementById("video-renditions");
  if (!panel) return;

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".rendition-switch [data-src]");
    if (!button) return;
    var item = button.closest(".video-item");
    var player = item && item.querySelector("video[data-player]");
    if (!player || player.getAttribute("src") === button.dataset.src) return;
    var at = player.currentTime, playing = !player.paused;
    player.setAttribute("src", button.dataset.src);
    player.setAttribute("aria-label", button.dataset.label || "");
    player.addEventListener("loadedmetadata", function resume() {
      player.removeEventListener("loadedmetadata", resume);
      if (at) player.currentTime = Math.min(at, player.duration || at);
      if (playing) player.play().catch(function () {});
    });
    player.load();
    item.querySelectorAll(".rendition-switch [data-src]").forEach(function (other) {
      var current = other === button;
      other.classList.toggle("is-current", current);
      other.classList.toggle("ghost", !current);
      other.setAttribute("aria-pressed", current ? "true" : "false");
    });
  });

  // New renditions come with a verify that passes; teardown takes them away. A player that is
  // already on the page survives a reload of the list (hx-preserve), so nothing stops mid-play.
  function runState() {
    var status = document.querySelector("#run-status .run-chip");
    var verify = document.getElementById("run-verify");
    var over = status && /status-(cleaned|teardown_failed|kept)/.test(status.className);
    return (verify ? verify.className : "") + "|" + (over ? "over" : "on");
  }
  var last = runState();
  document.body.addEventListener("htmx:afterSettle", function () {
    var now = runState();
    if (now === last) return;
    last = now;
    if (window.htmx) window.htmx.trigger(panel, "refresh-renditions");
  });
})();
