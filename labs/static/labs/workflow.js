/* The workflow lab's panel on the run page: reload the diagram when the run moves on (the verify
   started its executions, or the run was torn down) without reloading the page. The run page's
   live updates swap #run-status and #run-verify; their classes carry the run's state. */
(function () {
  "use strict";
  var panel = document.getElementById("workflow-panel");
  if (!panel) return;

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
    if (window.htmx) window.htmx.trigger(panel, "refresh-workflow");
  });
})();
