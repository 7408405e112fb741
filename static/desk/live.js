/* One reconnecting websocket per screen: snapshot first, then events (ccapp/selectors_live.py is the
   reference for the reducers below; tests/desk checks that one against fresh snapshots). */
"use strict";

const CALL_STATES = ["ringing", "on_call", "wrap_up"];
const FLAG_EVENTS = {
  hold: ["held", true], unhold: ["held", false], mute: ["muted", true], unmute: ["muted", false],
  recording_paused: ["recording_paused", true], recording_resumed: ["recording_paused", false],
};
// CallEvent kinds carrying the call's consultation or conference guest (selectors_live.PARTY_EVENTS).
const PARTY_EVENTS = {
  consult_started: "consult", consult_answered: "consult", consult_ended: "consult", transfer_completed: "consult",
  guest_invited: "guest", guest_joined: "guest", guest_left: "guest",
};
const TEXTS = JSON.parse(document.getElementById("desk-texts").textContent);
const BUILD = JSON.parse(document.getElementById("desk-build").textContent);

function t(key, values) {
  let text = TEXTS[key] || key;
  for (const [name, value] of Object.entries(values || {})) text = text.replace(`%(${name})s`, value);
  return text;
}

/* A frame stamped with a later day of the center than the screen counts: "today" starts again (the
   server sends a fresh snapshot at midnight, which also says when the new day ends). */
function newDay(state, frame) {
  if (!frame.day || frame.day <= state.today.day) return false;
  state.today = { day: frame.day, until: null };
  return true;
}

function countedToday(state, call) { return !!call && call.queued_day === state.today.day; }

function applyDeskFrame(state, frame) {
  const data = frame.data || {};
  if (newDay(state, frame)) state.counters = { calls: 0, talk_seconds: 0, missed: 0 };
  const agent = state.agent, counters = state.counters;
  if (frame.event === "agent_state_changed") {
    Object.assign(agent, { state: data.state, reason: data.reason, call_id: data.call_id, since: frame.at });
    if (data.reason === "missed_call") counters.missed += 1;
    if (data.call_id === null || !CALL_STATES.includes(data.state)) { agent.call_id = null; state.call = null; }
    else if (state.call && state.call.call_id !== data.call_id) state.call = null;
  } else if (["call_offered", "call_answered", "call_joined"].includes(frame.event)) {
    state.call = frame.call;
    if (frame.event === "call_answered") counters.calls += 1;
  } else if (frame.event === "call_ended") {
    counters.talk_seconds = Math.round((counters.talk_seconds + data.talk_seconds) * 10) / 10;
    if (state.call && state.call.call_id === data.call_id) state.call.ended = true;
  } else if (frame.event === "call_updated" && state.call && state.call.call_id === data.call_id) {
    if (FLAG_EVENTS[data.kind]) state.call[FLAG_EVENTS[data.kind][0]] = FLAG_EVENTS[data.kind][1];
    else if (PARTY_EVENTS[data.kind]) state.call[PARTY_EVENTS[data.kind]] = (data.data || {})[PARTY_EVENTS[data.kind]] || null;
    else if (data.kind === "wrapup_saved") Object.assign(state.call, data.data);
  }
  return state;
}

function applyWallboardFrame(state, frame) {
  const data = frame.data || {}, queues = state.queues, calls = state.calls, key = String(data.call_id);
  if (newDay(state, frame)) {
    for (const queue of Object.values(queues)) Object.assign(queue, { offered: 0, answered: 0, abandoned: 0, answered_in_sl: 0, wait_sum: 0 });
  }
  if (frame.event === "call_started") {
    calls[key] = { id: data.call_id, caller: data.caller, queue_id: null, answered: false, vip: data.vip, queued_at: null, queued_day: null };
  } else if (frame.event === "call_queued") {
    calls[key] = calls[key] || { id: data.call_id, caller: data.caller, answered: false, vip: data.vip };
    const call = calls[key], previous = call.queue_id;
    if (previous !== data.queue_id) {
      // Today's figures count a call queued today, in the queue it is in now.
      if (queues[previous] && countedToday(state, call)) queues[previous].offered -= 1;
      if (queues[data.queue_id]) queues[data.queue_id].offered += 1;
      Object.assign(call, { queue_id: data.queue_id, queued_at: frame.at, queued_day: state.today.day });
    }
  } else if (frame.event === "call_answered") {
    const customer = data.customer || {};
    calls[key] = calls[key] || { id: data.call_id, caller: data.caller, queue_id: data.queue_id, vip: !!customer.vip_level, queued_at: null, queued_day: null };
    calls[key].answered = true;
    // Only a call that waited in the queue today counts in its figures (not a transferred caller).
    const queue = countedToday(state, calls[key]) ? queues[data.queue_id] : null;
    if (queue) {
      queue.answered += 1;
      queue.wait_sum = Math.round((queue.wait_sum + data.wait_seconds) * 1000) / 1000;
      if (data.wait_seconds <= queue.sl_target_seconds) queue.answered_in_sl += 1;
    }
  } else if (frame.event === "call_ended") {
    const queue = countedToday(state, calls[key]) ? queues[data.queue_id] : null;
    delete calls[key];
    if (queue && data.outcome === "abandoned_queue") queue.abandoned += 1;
  } else if (frame.event === "agent_state_changed" && state.agents[data.agent_id]) {
    const inCall = CALL_STATES.includes(data.state);
    Object.assign(state.agents[data.agent_id], {
      state: data.state, reason: data.reason, call_id: inCall ? data.call_id : null, since: frame.at,
    });
  }
  return state;
}

/* A websocket that reconnects with backoff and asks for nothing on reconnect: the server sends a
   fresh snapshot to every new socket, so the screen shows the true state after a drop or reload. */
class LiveSocket {
  constructor(path, handlers) {
    this.path = path; this.handlers = handlers; this.pending = new Map(); this.seq = 0; this.delay = 500;
    this.open();
  }
  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${scheme}://${location.host}${this.path}?build=${encodeURIComponent(BUILD)}`);
    this.ws.onopen = () => { this.delay = 500; };
    this.ws.onmessage = (message) => this.receive(JSON.parse(message.data));
    this.ws.onclose = (event) => {
      for (const [, pending] of this.pending) pending.reject({ message: t("reconnecting") });
      this.pending.clear();
      if (event.code === 4403) { this.handlers.status(t("forbidden"), "bad"); return; }
      if (event.code === 4410) {  // the server runs a newer build: this page would speak an old protocol
        this.handlers.status(t("stale"), "bad"); setTimeout(() => location.reload(), 1500); return;
      }
      this.handlers.status(t("reconnecting"), "bad");
      setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }
  receive(frame) {
    if (frame.type === "snapshot") { this.handlers.status("", "ok"); this.handlers.snapshot(frame.data); }
    else if (frame.type === "event") this.handlers.event(frame);
    if ((frame.type === "reply" || frame.type === "error") && this.pending.has(frame.id)) {
      const pending = this.pending.get(frame.id); this.pending.delete(frame.id);
      if (frame.type === "reply") pending.resolve(frame.data); else pending.reject(frame);
    } else if (frame.type === "error") this.handlers.error(frame);
  }
  /* Resolves with the reply's data; rejects with the error frame. `control` (a button) is disabled
     until the answer comes, so a double click sends one request. */
  send(action, fields, control) {
    if (control) control.disabled = true;
    const done = () => { if (control) control.disabled = false; };
    return this.request(action, fields).then((data) => { done(); return data; }, (error) => { done(); throw error; });
  }
  request(action, fields) {
    const id = `m${++this.seq}`;
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) { reject({ message: t("reconnecting") }); return; }
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, action, ...fields }));
    });
  }
}

function showStatus(text, kind) {
  const banner = document.getElementById("conn");
  banner.textContent = text; banner.hidden = !text; banner.className = `banner ${kind || ""}`;
}

let toastTimer = null;
function toast(text, kind) {
  const box = document.getElementById("toast");
  box.textContent = text; box.className = `toast ${kind || ""}`; box.hidden = false;
  clearTimeout(toastTimer); toastTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

function elapsed(since) {
  if (!since) return "";
  const seconds = Math.max(0, Math.floor((Date.now() - new Date(since).getTime()) / 1000));
  const m = Math.floor(seconds / 60), s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value; else if (name.startsWith("data-")) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}
