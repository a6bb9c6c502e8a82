// The lab's single-page app: lists, adds and removes items through the REST API.
// config.js (written by the lab when it deploys) sets window.LAB_CONFIG.apiUrl.
(function () {
  "use strict";
  var api = (window.LAB_CONFIG && window.LAB_CONFIG.apiUrl || "").replace(/\/$/, "");
  var list = document.getElementById("items");
  var status = document.getElementById("status");
  var form = document.getElementById("add-form");
  var input = document.getElementById("title");
  document.getElementById("api-url").textContent = api || "(not configured)";

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "status error" : "status";
  }

  function call(method, path, body) {
    var options = { method: method, headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(api + path, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || data.message || ("HTTP " + response.status));
        return data;
      });
    });
  }

  function render(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var title = document.createElement("span");
      title.className = "title";
      title.textContent = item.title;
      var when = document.createElement("time");
      when.dateTime = item.createdAt;
      when.textContent = new Date(item.createdAt).toLocaleString();
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove " + item.title);
      remove.addEventListener("click", function () {
        remove.disabled = true;
        call("DELETE", "/items/" + encodeURIComponent(item.id)).then(load, function (error) {
          remove.disabled = false;
          say("Could not remove it: " + error.message, true);
        });
      });
      li.append(title, when, remove);
      list.append(li);
    });
    say(items.length ? items.length + (items.length === 1 ? " item" : " items") : "No items yet: add the first one.");
  }

  function load() {
    return call("GET", "/items").then(function (data) { render(data.items || []); }, function (error) {
      say("Could not load the items: " + error.message, true);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var title = input.value.trim();
    if (!title) { say("Type a title first.", true); input.focus(); return; }
    var button = form.querySelector("button");
    button.disabled = true;
    call("POST", "/items", { title: title }).then(function () {
      input.value = "";
      return load();
    }, function (error) {
      say("Could not add it: " + error.message, true);
    }).then(function () { button.disabled = false; input.focus(); });
  });

  if (!api) { say("This site has no API address: config.js is missing or empty.", true); return; }
  load();
})();
