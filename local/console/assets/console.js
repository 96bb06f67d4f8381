// Stepwise console: live updates of an execution page by polling its JSON
// endpoint (no reload), and clicks on graph states. No inline script: the
// page's Content-Security-Policy forbids it.
"use strict";

function setStatus(el, status) {
  el.textContent = "";
  const span = document.createElement("span");
  span.className = "status s-" + status.toLowerCase();
  span.textContent = status;
  el.appendChild(span);
}

function applyStates(states) {
  for (const g of document.querySelectorAll("svg.graph g.state")) {
    const s = states[g.dataset.state];
    const status = s && s.status ? s.status : "none";
    g.setAttribute("class", "state st-" + status);
    const detail = g.querySelector("text.detail");
    if (detail) detail.textContent = s && s.detail ? s.detail : "";
  }
}

function appendEvents(events) {
  const body = document.getElementById("events");
  if (!body) return;
  for (const e of events) {
    const tr = document.createElement("tr");
    for (const v of [e.id, e.type, e.at, e.state, e.summary]) {
      const td = document.createElement("td");
      td.textContent = String(v);
      tr.appendChild(td);
    }
    tr.lastChild.className = "summary";
    body.appendChild(tr);
  }
}

function poll(root) {
  const arn = root.dataset.arn;
  let last = root.dataset.last || "0";
  const tick = async () => {
    let data;
    try {
      const resp = await fetch("/api/execution?arn=" + encodeURIComponent(arn) + "&after=" + encodeURIComponent(last), { credentials: "same-origin" });
      data = await resp.json();
    } catch (err) {
      setTimeout(tick, 2000);
      return;
    }
    if (data.error) { setTimeout(tick, 2000); return; }
    setStatus(document.getElementById("status"), data.status);
    applyStates(data.states || {});
    appendEvents(data.events || []);
    last = String(data.lastId);
    root.dataset.last = last;
    document.getElementById("output").textContent = data.output || "";
    // The timeline is an SVG the server drew, every text in it escaped.
    const timeline = document.querySelector(".timeline-wrap");
    if (timeline && data.timeline) timeline.innerHTML = data.timeline;
    if (data.published) {
      document.getElementById("published").textContent = data.published;
      document.getElementById("published-line").hidden = false;
    }
    if (data.error || data.cause) {
      document.getElementById("exec-error").textContent = data.error || "";
      document.getElementById("exec-cause").textContent = data.cause || "";
      document.getElementById("failure").hidden = false;
    }
    const link = document.getElementById("approval-link");
    if (link) link.hidden = !(data.approval && !document.querySelector(".approval"));
    if (data.stopped) document.getElementById("stopped").textContent = "stopped " + data.stopped;
    if (data.status === "RUNNING") {
      setTimeout(tick, 1000);
    } else {
      const stop = document.getElementById("stop-form");
      if (stop) stop.hidden = true;
      document.body.dataset.settled = data.status;
    }
  };
  setTimeout(tick, 1000);
}

function wireGraph() {
  for (const g of document.querySelectorAll("svg.graph g.state")) {
    g.addEventListener("click", () => {
      for (const d of document.querySelectorAll("details.state-detail")) {
        if (d.dataset.name === g.dataset.state) {
          d.open = true;
          d.scrollIntoView({ behavior: "smooth", block: "start" });
        }
      }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  wireGraph();
  const root = document.getElementById("exec");
  if (root && root.dataset.live === "true") poll(root);
});
