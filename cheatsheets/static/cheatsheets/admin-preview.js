/* Admin: a "Preview" button posts the fields being edited (its data-preview-fields, by default a
   sheet's body_markdown and exam_tips) to its data-preview-url and shows the sanitised HTML in the
   element right after it. The question admin uses it too, for the stem and explanation. */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-preview-url]");
  if (!button) return;
  var form = button.closest("form");
  var box = button.nextElementSibling;
  var data = new FormData();
  (button.getAttribute("data-preview-fields") || "body_markdown,exam_tips").split(",").forEach(function (name) {
    var field = form.querySelector("[name=" + name + "]");
    if (field) data.append(name, field.value);
  });
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
