/* Admin: "Preview" posts the stem and explanation being edited and shows them rendered. */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-question-preview-url]");
  if (!button) return;
  var form = button.closest("form");
  var box = button.parentNode.querySelector(".question-preview");
  var data = new FormData();
  data.append("stem", form.querySelector("[name=stem]").value);
  data.append("explanation", form.querySelector("[name=explanation]").value);
  data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
  button.disabled = true;
  box.textContent = "Rendering…";
  fetch(button.getAttribute("data-question-preview-url"), { method: "POST", body: data, credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("The preview failed (HTTP " + response.status + ").");
      return response.text();
    })
    .then(function (html) { box.innerHTML = html; })
    .catch(function (error) { box.textContent = error.message; })
    .finally(function () { button.disabled = false; });
});
