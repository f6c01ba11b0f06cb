// The console's only script (the Content-Security-Policy allows no inline code). Everything
// works without it: it keeps the file choices in step with "the whole original" / "chosen
// files", and copies a new token.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-choose]")) {
    const items = form.querySelector("input[name=what][value=items]");
    form.addEventListener("change", (event) => {
      const target = event.target;
      if (target.matches("input[data-item]") && target.checked && items) {
        items.checked = true;  // ticking a file means "chosen files"
      } else if (target.matches("input[name=what][value=original]") && target.checked) {
        for (const box of form.querySelectorAll("input[data-item]")) box.checked = false;
      }
    });
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", () => {
      const source = document.getElementById(button.dataset.copy);
      if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent);
    });
  }
});
