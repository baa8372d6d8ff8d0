// ecmahost admin: the few things plain HTML cannot do. Shipped in the package; no external script.
"use strict";
(function () {
  const csrf = () => document.querySelector("main").dataset.csrf;

  // "Copy" next to a token shown once.
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      field.select();
      try { await navigator.clipboard.writeText(field.value); button.textContent = "Copied"; }
      catch (e) { document.execCommand("copy"); button.textContent = "Copied"; }
    });
  });

  // Confirmation before a destructive form is sent.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
  });

  // Select Attributes: the /Schemas preview follows the form as the admin changes it.
  const preview = document.getElementById("schema-preview");
  if (preview) {
    const form = document.getElementById("wizard-form");
    let timer = null;
    const refresh = async () => {
      const response = await fetch(preview.dataset.url, {
        method: "POST", body: new FormData(form), headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin",
      });
      if (!response.ok) return;
      const data = await response.json();
      preview.textContent = data.preview || "(not valid yet)";
      document.getElementById("preview-issues").textContent = (data.issues || []).join("; ");
    };
    form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 600); });
  }

  // Object types: a DN template that ends with the base DN follows it as the base DN is typed (the server
  // applies the same rule when the form is sent, see TypeProfile.update_target).
  document.querySelectorAll("input[data-follows-base]").forEach((template) => {
    const base = document.getElementById(template.dataset.followsBase);
    if (!base) return;
    let previous = base.value;
    base.addEventListener("input", () => {
      const suffix = "," + previous;
      if (previous && template.value.toLowerCase().endsWith(suffix.toLowerCase())) {
        template.value = template.value.slice(0, -previous.length) + base.value;
      }
      previous = base.value;
    });
  });

  // Logs: live tail by polling for entries after the ones shown.
  const tail = document.getElementById("live-tail");
  const lines = document.getElementById("log-lines");
  if (tail && lines) {
    let timer = null;
    const poll = async () => {
      const params = new URLSearchParams(window.location.search);
      params.set("after", lines.dataset.count);
      const response = await fetch("/logs/entries?" + params.toString(), { credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        data.entries.forEach((entry) => { lines.textContent += entry.text + "\n"; });
        lines.dataset.count = data.count;
        if (data.entries.length) lines.scrollTop = lines.scrollHeight;
      }
    };
    tail.addEventListener("change", () => {
      clearInterval(timer);
      if (tail.checked) { poll(); timer = setInterval(poll, 2000); }
    });
  }
})();
