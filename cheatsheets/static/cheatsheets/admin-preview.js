/* Admin: "Preview changes" posts the Markdown being edited and shows the sanitised HTML. */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-preview-url]");
  if (!button) return;
  var form = button.closest("form");
  var box = button.parentNode.querySelector(".sheet-preview");
  var data = new FormData();
  data.append("body_markdown", form.querySelector("[name=body_markdown]").value);
  var tips = form.querySelector("[name=exam_tips]");
  if (tips) data.append("exam_tips", tips.value);
  data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
  button.disabled = true;
  box.textContent = "Rendering…";
  fetch(button.getAttribute("data-preview-url"), { method: "POST", body: data, credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("The preview failed (HTTP " + response.status + ").");
      return response.text();
    })
    .then(function (html) { box.innerHTML = html; })
    .catch(function (error) { box.textContent = error.message; })
    .finally(function () { button.disabled = false; });
});
