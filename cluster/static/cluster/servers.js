// Servers pages: live status (polled per server), the live log tail (read by byte offset),
// copy buttons, and forms whose checkboxes post lists.
(function () {
  "use strict";
  const {api} = window.EpochBuilder;
  const STATUS_EVERY_MS = 10000;
  const LOG_EVERY_MS = 1500;
  const GIB = 1024 ** 3;

  const gib = (bytes) => (bytes == null ? "?" : (bytes / GIB).toFixed(1));

  function paintStatus(root, s) {
    const set = (name, text, cls) => root.querySelectorAll(`[data-cell="${name}"]`).forEach((el) => {
      el.textContent = text;
      el.className = cls || "";
    });
    set("online", s.online ? "online" : `offline${s.error ? ": " + s.error : ""}`, s.online ? "ok" : "error");
    set("jobs", (s.jobs || []).map((j) => `#${j.id} ${j.kind} ${j.percent}%${j.alive === false ? " (process gone)" : ""}`).join(", ") || "not running");
    if (s.online) {
      set("cpu", `${s.cpu_count ?? "?"} CPUs, load ${s.load_1 ?? "?"}`);
      set("memory", `${gib(s.memory_available_bytes)} of ${gib(s.memory_total_bytes)} GiB`);
      set("disk", `${gib(s.disk_available_bytes)} of ${gib(s.disk_total_bytes)} GiB`);
      set("gpu", (s.gpus || []).map((g) => `${g.name} ${g.utilization_percent ?? "?"}%, ${gib(g.memory_used_bytes)}/${gib(g.memory_total_bytes)} GiB`).join("; ") || "none");
    }
    // UTC ISO 8601 to the second, as the pages write times (checked_at is stored with its offset).
    if (s.checked_at) set("checked_at", new Date(s.checked_at).toISOString().slice(0, 19) + "Z");
  }

  function pollStatus(root, id) {
    const tick = async () => {
      try { paintStatus(root, await api(`/api/servers/${id}/status/`)); } catch (e) {
        root.querySelectorAll('[data-cell="online"]').forEach((el) => { el.textContent = e.message; el.className = "error"; });
      }
      setTimeout(tick, STATUS_EVERY_MS);
    };
    tick();
  }

  function followLog(pre) {
    const id = pre.dataset.serverLog;
    const label = document.querySelector("[data-log-job]");
    let offset = 0;
    let job = null;
    const tick = async () => {
      try {
        const chunk = await api(`/api/servers/${id}/log/?offset=${offset}${job ? "&job=" + job : ""}`);
        if (chunk.job !== job) { job = chunk.job; pre.textContent = ""; if (label) label.textContent = job ? `job #${job}` : "no job yet"; }
        if (chunk.restarted) pre.textContent = "";
        if (chunk.text) {
          const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
          pre.textContent += chunk.text;
          if (atBottom) pre.scrollTop = pre.scrollHeight;
        }
        offset = chunk.next_offset;
        setTimeout(tick, chunk.next_offset < chunk.size ? 100 : LOG_EVERY_MS);
      } catch (e) { setTimeout(tick, 5000); }
    };
    tick();
  }

  function bindListForms() {
    document.querySelectorAll("form[data-server-post]").forEach((form) => {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const lists = (form.dataset.listFields || "").split(" ").filter(Boolean);
        const data = new FormData(form);
        const body = {};
        for (const [key, value] of data.entries()) {
          if (lists.includes(key)) (body[key] = body[key] || []).push(value);
          else if (value !== "") body[key] = value === "true" ? true : value;
        }
        try {
          const job = await api(form.dataset.serverPost, {method: "POST", body: JSON.stringify(body)});
          window.location = `/jobs/${job.id}/`;
        } catch (e) {
          let box = form.querySelector(".api-error");
          if (!box) { box = document.createElement("p"); box.className = "api-error error"; form.appendChild(box); }
          box.textContent = e.message;
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-live-servers] tr[data-server-id]").forEach((row) => pollStatus(row, row.dataset.serverId));
    document.querySelectorAll("[data-live-server]").forEach((root) => pollStatus(root, root.dataset.liveServer));
    document.querySelectorAll("[data-server-log]").forEach(followLog);
    document.querySelectorAll("[data-copy]").forEach((button) => button.addEventListener("click", () => {
      navigator.clipboard.writeText(document.getElementById(button.dataset.copy).textContent);
    }));
    bindListForms();
  });
})();
