// Live job progress and API buttons. Pages poll only while something is unfinished.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const ACTIVE = ["queued", "running"];

  async function api(url, options) {
    const response = await fetch(url, Object.assign({
      credentials: "same-origin",
      headers: {"X-CSRFToken": csrf(), "Content-Type": "application/json", "Accept": "application/json"},
    }, options || {}));
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(describeError(body) || response.statusText);
      error.fields = body && typeof body === "object" && !body.message && !body.detail ? Object.keys(body) : [];
      throw error;
    }
    return body;
  }

  // DRF answers {"field": ["problem", ...], ...}; domain refusals {"message": ...}.
  function describeError(body) {
    if (!body || typeof body !== "object") return String(body || "");
    if (body.message || body.detail) return body.message || body.detail;
    return Object.entries(body).map(([field, problems]) => {
      const text = [].concat(problems).map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join(" ");
      return field === "non_field_errors" ? text : `${field}: ${text}`;
    }).join("\n");
  }
  window.EpochBuilder = {api};

  function paint(root, job) {
    const set = (name, value) => root.querySelectorAll(`[data-field="${name}"]`).forEach((el) => { el.textContent = value; });
    set("status", job.status);
    root.querySelectorAll('[data-field="status"]').forEach((el) => { el.className = `status status-${job.status}`; });
    set("message", job.progress_message || "");
    set("percent", job.percent);
    set("counts", `${job.progress_done} / ${job.progress_total}`);
    if (job.attempts !== undefined && job.max_attempts !== undefined) set("attempts", `${job.attempts} / ${job.max_attempts}`);
    // Times as the pages render them: ISO 8601 in UTC to the second ("2021-01-05T12:00:00Z").
    const utc = (value) => (value ? `${value.slice(0, 19)}Z` : "—");
    if (job.heartbeat_at !== undefined) set("heartbeat_at", utc(job.heartbeat_at));
    if (job.finished !== undefined) set("finished", utc(job.finished));
    if (job.eta !== undefined) set("eta", utc(job.eta));
    if (job.stage !== undefined) set("stage", job.stage);
    if (job.children_count && job.children_done !== undefined) set("children", `${job.children_done} / ${job.children_count}`);
    const shown = {stage: Boolean(job.stage), children: Boolean(job.children_count)};
    root.querySelectorAll("[data-shown-with]").forEach((el) => { if (shown[el.dataset.shownWith]) el.hidden = false; });
    if (job.error !== undefined) set("error", job.error || "");
    if (job.log_tail !== undefined) {
      root.querySelectorAll('[data-field="log_tail"]').forEach((el) => {
        const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
        el.textContent = job.log_tail;
        if (atBottom) el.scrollTop = el.scrollHeight;
      });
    }
    root.querySelectorAll('[data-field="bar"]').forEach((el) => { el.style.width = `${job.percent}%`; });
    root.dataset.status = job.status;
    root.querySelectorAll("[data-show-when]").forEach((el) => {
      el.hidden = !el.dataset.showWhen.split(" ").includes(job.status);
    });
    // A failure another attempt cannot change offers no retry.
    if (job.permanent_failure) root.querySelectorAll('[data-api-post$="/retry/"]').forEach((el) => el.remove());
  }

  function pollJob(root) {
    const id = root.dataset.liveJob;
    const tick = async () => {
      try {
        const job = await api(`/api/jobs/${id}/`);
        paint(root, job);
        if (ACTIVE.includes(job.status)) setTimeout(tick, 1500);
      } catch (e) { setTimeout(tick, 5000); }
    };
    tick();
  }

  function pollTable(table) {
    const tick = async () => {
      const rows = [...table.querySelectorAll("tr[data-job-id]")].filter((r) => ACTIVE.includes(r.dataset.status));
      if (!rows.length) return;
      await Promise.all(rows.map(async (row) => {
        try { paint(row, await api(`/api/jobs/${row.dataset.jobId}/`)); } catch (e) { /* next tick */ }
      }));
      setTimeout(tick, 2000);
    };
    tick();
  }

  function bindApiPosts() {
    document.querySelectorAll("[data-api-post]").forEach((el) => {
      const handler = async (event) => {
        event.preventDefault();
        if (el.dataset.confirm && !window.confirm(el.dataset.confirm)) return;
        const form = el.tagName === "FORM" ? el : null;
        const body = form ? Object.fromEntries(new FormData(form).entries()) : (el.dataset.body ? JSON.parse(el.dataset.body) : {});
        for (const k of Object.keys(body)) { if (body[k] === "") delete body[k]; }
        const status = document.getElementById(el.dataset.statusTarget || "") || el.parentElement;
        try {
          const method = el.dataset.method || "POST";
          const result = await api(el.dataset.apiPost, method === "DELETE" ? {method} : {method, body: JSON.stringify(body)});
          if (result && result.id && result.kind && el.dataset.followJob) {
            window.location = `/jobs/${result.id}/`;
          } else if (el.dataset.redirect) {
            window.location = el.dataset.redirect;
          } else if (el.dataset.reload) {
            window.location.reload();
          }
        } catch (e) {
          let box = status.querySelector(".api-error");
          if (!box) { box = document.createElement("p"); box.className = "api-error error"; status.appendChild(box); }
          box.textContent = e.message;
          if (form) {
            form.querySelectorAll(".invalid").forEach((input) => input.classList.remove("invalid"));
            (e.fields || []).forEach((name) => { if (form.elements[name]) form.elements[name].classList.add("invalid"); });
          }
        }
      };
      el.addEventListener(el.tagName === "FORM" ? "submit" : "click", handler);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-live-job]").forEach(pollJob);
    document.querySelectorAll("[data-live-jobs]").forEach(pollTable);
    document.querySelectorAll("[data-show-when]").forEach((el) => {
      const root = el.closest("[data-live-job]");
      if (root && root.dataset.status) el.hidden = !el.dataset.showWhen.split(" ").includes(root.dataset.status);
    });
    bindApiPosts();
  });
})();

// Sortable tables: click a header to sort by that column (numbers numerically).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table[data-sortable]").forEach((table) => {
    table.querySelectorAll("thead th").forEach((th, column) => {
      th.style.cursor = "pointer";
      th.addEventListener("click", () => {
        const body = table.tBodies[0];
        const descending = th.dataset.order !== "desc";
        th.dataset.order = descending ? "desc" : "asc";
        const value = (row) => {
          const text = (row.cells[column] ? row.cells[column].textContent : "").trim();
          const number = parseFloat(text);
          return Number.isNaN(number) ? text : number;
        };
        [...body.rows].sort((a, b) => {
          const x = value(a), y = value(b);
          const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
          return descending ? -order : order;
        }).forEach((row) => body.appendChild(row));
      });
    });
  });
});

// Tabs: [data-tabs] holds buttons [data-tab=name] and panels [data-tab-panel=name]; the URL's
// #tab-<name> picks the first one shown, so a tab can be linked to.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-tabs]").forEach((tabs) => {
    const buttons = [...tabs.querySelectorAll("[data-tab]")];
    const show = (name) => {
      buttons.forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
      tabs.querySelectorAll("[data-tab-panel]").forEach((panel) => {
        panel.classList.toggle("active", panel.dataset.tabPanel === name);
      });
    };
    buttons.forEach((b) => b.addEventListener("click", () => {
      show(b.dataset.tab);
      history.replaceState(null, "", `#tab-${b.dataset.tab}`);
    }));
    const showLinked = (fallback) => {
      const linked = window.location.hash.replace(/^#tab-/, "");
      if (buttons.some((b) => b.dataset.tab === linked)) show(linked);
      else if (fallback) show(buttons[0].dataset.tab);
    };
    showLinked(true);
    window.addEventListener("hashchange", () => showLinked(false));
  });
});

// Live training curves: [data-live-history] (its API URL) polls the epochs finished so far
// while the regression trains and extends its chart [data-live-chart]; each trace's `meta`
// names its history key (loss, val_loss).
document.addEventListener("DOMContentLoaded", () => {
  const EVERY_MS = 3000;
  document.querySelectorAll("[data-live-history]").forEach((box) => {
    const chart = document.getElementById(box.dataset.liveChart);
    const tick = async () => {
      let partial;
      try {
        partial = await window.EpochBuilder.api(box.dataset.liveHistory);
      } catch (e) {
        setTimeout(tick, EVERY_MS * 2);
        return;
      }
      if (chart && partial.epochs && partial.epochs !== Number(box.dataset.epochs)) {
        // Drawn at the first finished epoch when the page came before it (the figure waits in a script).
        const figure = chart.data ? {data: chart.data, layout: chart.layout}
          : JSON.parse(document.getElementById(`${chart.id}-figure`).textContent);
        const epochs = Array.from({length: partial.epochs}, (_, i) => i + 1);
        const data = figure.data.map((trace) => Object.assign({}, trace, {x: epochs, y: partial.history[trace.meta] || []}));
        chart.hidden = false;
        box.querySelectorAll("[data-live-waiting]").forEach((el) => el.remove());
        window.Plotly.react(chart, data, figure.layout, {responsive: true, displaylogo: false});
        chart.setAttribute("data-chart", "");
      }
      box.dataset.epochs = String(partial.epochs);
      box.querySelectorAll('[data-field="live-epochs"]').forEach((el) => { el.textContent = partial.epochs; });
      if (partial.live) {
        setTimeout(tick, EVERY_MS);
      } else {
        box.dataset.finished = partial.status;
        const note = document.createElement("p");
        note.textContent = `The training has ended (${partial.status}): reload the page for its results.`;
        box.appendChild(note);
      }
    };
    setTimeout(tick, EVERY_MS);
  });
});

// Compare picks kept across pages: a form[data-keep-picks="<name>"] remembers the ids ticked in
// it (its checkboxes named "ids") in this tab's sessionStorage, ticks them again on every page of
// the list and sends those that are not on the page as well; [data-picks-note] counts them.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-keep-picks]").forEach((form) => {
    const name = form.dataset.keepPicks;
    const key = `epoch-builder-picks:${name}`;
    const boxes = Array.from(document.querySelectorAll('input[type="checkbox"][name="ids"]')).filter((box) => box.form === form);
    const here = new Set(boxes.map((box) => box.value));
    let stored = [];
    try {
      stored = JSON.parse(sessionStorage.getItem(key) || "[]");
    } catch (e) {
      stored = [];
    }
    const picks = new Set(Array.isArray(stored) ? stored.map(String) : []);
    const note = document.querySelector(`[data-picks-note="${name}"]`);
    const show = () => {
      sessionStorage.setItem(key, JSON.stringify(Array.from(picks)));
      if (!note) return;
      const elsewhere = Array.from(picks).filter((id) => !here.has(id)).length;
      note.hidden = picks.size === 0;
      note.querySelectorAll('[data-field="picks"]').forEach((el) => { el.textContent = String(picks.size); });
      note.querySelectorAll('[data-field="picks-elsewhere"]').forEach((el) => { el.textContent = String(elsewhere); });
    };
    boxes.forEach((box) => {
      if (picks.has(box.value)) box.checked = true;
      box.addEventListener("change", () => {
        if (box.checked) picks.add(box.value); else picks.delete(box.value);
        show();
      });
    });
    form.addEventListener("submit", () => {
      form.querySelectorAll("input[data-picked-elsewhere]").forEach((input) => input.remove());
      picks.forEach((id) => {
        if (here.has(id)) return;
        const input = document.createElement("input");
        Object.assign(input, {type: "hidden", name: "ids", value: id});
        input.dataset.pickedElsewhere = "";
        form.appendChild(input);
      });
    });
    if (note) {
      note.querySelectorAll("[data-clear-picks]").forEach((button) => button.addEventListener("click", () => {
        picks.clear();
        boxes.forEach((box) => { box.checked = false; });
        show();
      }));
    }
    show();
  });
});
