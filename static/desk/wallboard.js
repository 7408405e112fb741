/* The wallboard: queues and agents live from the socket; colours from each queue's targets. */
"use strict";

let board = null;
const CONF = JSON.parse(document.getElementById("wallboard-conf").textContent);

const socket = new LiveSocket("/ws/wallboard/", {
  status: showStatus,
  snapshot(data) { board = data; render(); },
  event(frame) {
    if (frame.event === "command_failed") toast(frame.message, "bad");
    else if (board) { applyWallboardFrame(board, frame); render(); }
  },
  error(frame) { toast(frame.message, "bad"); },
});

function act(action, fields) {
  return socket.send(action, fields).then(() => toast("✓", "ok"), (error) => toast(error.message, "bad"));
}

function waitingCalls(queueId) {
  return Object.values(board.calls).filter((c) => c.queue_id === queueId && !c.answered);
}

function render() {
  const agents = Object.values(board.agents);
  const rows = Object.values(board.queues).map((q) => {
    const waiting = waitingCalls(q.id);
    const oldest = waiting.map((c) => c.queued_at).filter(Boolean).sort()[0];
    const longest = oldest ? Math.floor((Date.now() - new Date(oldest).getTime()) / 1000) : 0;
    const sl = q.answered + q.abandoned ? Math.round((100 * q.answered_in_sl) / (q.answered + q.abandoned)) : null;
    const asa = q.answered ? Math.round(q.wait_sum / q.answered) : 0;
    const members = agents.filter((a) => a.queues.includes(q.id));
    const count = (state) => members.filter((a) => a.state === state).length;
    const slClass = sl === null ? "" : sl >= q.sl_target_percent ? "good" : sl >= q.sl_target_percent - 10 ? "warn" : "bad";
    const waitClass = longest > q.sl_target_seconds ? "bad" : longest > q.sl_target_seconds / 2 ? "warn" : "";
    return el("tr", { "data-queue": q.id }, el("td", {}, q.name), el("td", { class: waiting.length ? "warn" : "" }, waiting.length),
      el("td", { class: waitClass, "data-since": oldest || "" }, oldest ? elapsed(oldest) : "—"), el("td", {}, q.offered),
      el("td", { "data-testid": "answered" }, q.answered), el("td", {}, q.abandoned),
      el("td", { class: slClass }, sl === null ? "—" : `${sl}%`), el("td", {}, `${asa}s`),
      el("td", {}, count("ready")), el("td", {}, count("on_call") + count("ringing")), el("td", {}, count("paused") + count("dnd")),
      el("td", {}, count("wrap_up")));
  });
  document.querySelector("#queues-table tbody").replaceChildren(...rows);
  document.querySelector("#agents-table tbody").replaceChildren(...agents.map(agentRow));
  const waiting = Object.values(board.calls).filter((c) => c.queue_id && !c.answered);
  document.querySelector("#calls-table tbody").replaceChildren(...waiting.map(callRow));
}

function agentRow(agent) {
  const call = agent.call_id ? board.calls[agent.call_id] : null;
  const queue = call && board.queues[call.queue_id];
  const actions = [];
  if (CONF.canMonitor && agent.state === "on_call" && agent.call_id) {
    for (const mode of ["listen", "whisper", "barge"]) {
      actions.push(button(CONF.labels[mode], () => act("listen", monitorFields(agent.call_id, mode)), `${mode}-${agent.id}`));
    }
  }
  if (CONF.canMonitor && !["on_call", "ringing"].includes(agent.state)) {
    actions.push(button(CONF.labels.ready, () => act("force_state", { agent_id: agent.id, state: "ready" })));
    actions.push(button(CONF.labels.pause, () => act("force_state", { agent_id: agent.id, state: "paused",
      pause_code: document.getElementById("force-pause").value })));
    actions.push(button(CONF.labels.logout, () => act("force_state", { agent_id: agent.id, state: "logged_out" })));
  }
  return el("tr", { "data-agent": agent.id, class: `state-${agent.state}` },
    el("td", {}, `${agent.name} (${agent.extension})`), el("td", { "data-testid": "agent-state" }, TEXTS.states[agent.state] || agent.state),
    el("td", { "data-since": agent.since || "" }, elapsed(agent.since)), el("td", {}, call ? call.caller : ""),
    el("td", {}, queue ? queue.name : ""), el("td", {}, ...actions));
}

function callRow(call) {
  const select = el("select", {}, ...CONF.queues.filter((q) => q.id !== call.queue_id).map((q) => el("option", { value: q.id }, q.name)));
  const queue = board.queues[call.queue_id];
  return el("tr", {}, el("td", {}, `${call.vip ? "★ " : ""}${call.caller}`), el("td", {}, queue ? queue.name : ""),
    el("td", { "data-since": call.queued_at || "" }, elapsed(call.queued_at)),
    el("td", {}, select, button(CONF.labels.move, () => act("move_call", { call_id: call.id, queue_id: Number(select.value) }))));
}

function monitorFields(callId, mode) {
  const fields = { call_id: callId, mode };
  const endpoint = document.getElementById("monitor-endpoint").value.trim();
  if (endpoint) fields.endpoint = endpoint;
  return fields;
}

function button(text, onClick, testid) {
  const node = el("button", { type: "button", class: "small" }, text);
  if (testid) node.dataset.testid = testid;
  // Disabled until the answer comes: a double click sends one request.
  node.addEventListener("click", () => { node.disabled = true; onClick().finally(() => { node.disabled = false; }); });
  return node;
}

// Only the clocks tick locally; every figure comes from the socket.
setInterval(() => document.querySelectorAll("[data-since]").forEach((cell) => {
  if (cell.dataset.since) cell.textContent = elapsed(cell.dataset.since);
}), 1000);
