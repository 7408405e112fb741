/* The agent desktop: renders the live state and turns clicks into websocket actions. */
"use strict";

let desk = null;
const $ = (id) => document.getElementById(id);

const socket = new LiveSocket("/ws/desk/", {
  status: showStatus,
  snapshot(data) { desk = data; render(); loadMyWork(); loadAgents(); dialFromLink(); },
  event(frame) {
    if (!desk) return;
    applyDeskFrame(desk, frame);
    if (frame.event === "call_offered") toast(incomingText(frame.call), "info");
    if (frame.event === "command_failed") toast(frame.message, "bad");
    // Saved notes say more about the caller's question: ask for suggestions again.
    if (frame.event === "call_updated" && frame.data.kind === "wrapup_saved" && desk.call) loadSuggestions(desk.call.call_id);
    if (frame.event === "call_updated") partyToast(frame.data.kind, frame.data.data || {});
    // A callback of mine was tried, reached, retried or cancelled: "my callbacks" shows it.
    if (frame.event === "call_updated" && frame.data.kind === "callback_result") loadMyWork();
    render();
  },
  error(frame) { toast(frame.message, "bad"); },
});

function act(action, fields, okText, control) {
  return socket.send(action, fields || {}, control).then((data) => { if (okText) toast(okText, "ok"); return data; },
    (error) => { toast(error.message, "bad"); throw error; });
}

function render() {
  const agent = desk.agent, call = desk.call;
  $("state").textContent = TEXTS.states[agent.state] || agent.state;
  $("state").dataset.state = agent.state;
  $("reason").textContent = agent.reason ? `(${agent.reason})` : "";
  $("c-calls").textContent = desk.counters.calls;
  $("c-talk").textContent = elapsed(new Date(Date.now() - desk.counters.talk_seconds * 1000).toISOString());
  $("c-missed").textContent = desk.counters.missed;
  $("queues").replaceChildren(...desk.queues.map((q) => {
    const box = el("input", { type: "checkbox", checked: q.logged_in });
    box.addEventListener("change", () => act("queue_login", { queue_id: q.id, logged_in: box.checked }));
    return el("label", { class: "queue" }, box, ` ${q.name}`);
  }));
  const showCall = call && CALL_STATES.includes(agent.state);
  $("no-call").hidden = !!showCall;
  $("call").hidden = !showCall;
  // A consulted colleague or a conference guest sees the caller's card, not the controls of a call not theirs.
  const mine = !!showCall && call.agent_id === agent.id;
  $("controls").hidden = !(mine && agent.state === "on_call" && !call.ended);
  // Notes, disposition and a ticket can be done while talking, and must be in wrap-up.
  $("wrapup").hidden = !(mine && agent.state !== "ringing");
  if (showCall) { renderCall(call, agent); renderParties(call, agent, mine); }
  else { $("kb-suggest").hidden = true; $("kb-suggest").dataset.call = ""; }
  tick();
}

function renderCall(call, agent) {
  const customer = call.customer || {};
  $("pop").classList.toggle("ringing", agent.state === "ringing");
  $("caller-name").textContent = agent.state === "ringing" ? `${t("incoming")} · ${customer.name || call.caller}`
    : (customer.known ? customer.name : call.customer ? t("unknown_caller") : call.caller);  // card not in yet
  $("caller-number").textContent = call.caller;
  $("caller-number").dataset.dial = call.caller;
  $("vip").hidden = !customer.vip_level;
  $("tags").replaceChildren(...(customer.tags || []).map((tag) => el("span", { class: "badge" }, tag)));
  const ivr = call.ivr_path.length ? `IVR ${call.ivr_path.join(" → ")} ${JSON.stringify(call.ivr_digits)}` : "";
  const queue = call.queue ? call.queue.name : "";
  $("call-meta").textContent = [queue, t("waited", { s: Math.round(call.wait_seconds) }), ivr, customer.company,
    customer.owner].filter(Boolean).join(" · ");
  $("note").hidden = !call.transfer_note;
  $("note").textContent = call.transfer_note ? `${t("transfer_note", { agent: call.transfer_from || "" })}: ${call.transfer_note}` : "";
  $("flags").replaceChildren(...["held", "muted", "recording_paused"].filter((f) => call[f])
    .map((f) => el("span", { class: "badge warn" }, t(f))), ...(call.ended ? [el("span", { class: "badge" }, t("ended"))] : []));
  const extra = [];
  for (const ticket of customer.open_tickets || []) {
    extra.push(el("li", {}, "🎫 ", el("a", { href: ticket.url, target: "_blank" }, ticket.title), ` · ${ticket.status}`));
  }
  for (const item of customer.recent || []) extra.push(el("li", {}, `${item.at.slice(0, 16)} ${item.kind} ${item.summary}`));
  if (customer.last_csat !== null && customer.last_csat !== undefined) extra.push(el("li", {}, `CSAT ${customer.last_csat}`));
  $("customer-extra").replaceChildren(el("ul", { class: "list" }, ...extra));
  const form = $("new-customer");
  form.hidden = !!customer.known;
  form.elements.phone.value = customer.number || call.caller;
  $("disp-required").hidden = !call.require_disposition;
  if (document.activeElement !== $("disposition") && call.disposition) $("disposition").value = call.disposition;
  if (!$("ticket-subject").value) $("ticket-subject").placeholder = `${customer.name || call.caller}`;
  if (customer.known && $("timeline").dataset.customer !== String(customer.customer_id)) loadTimeline(customer.customer_id);
  if (agent.state !== "ringing" && $("kb-suggest").dataset.call !== String(call.call_id)) loadSuggestions(call.call_id);
}

/* The consultation (attended transfer) and conference guest of the call, from the caller's agent's side
   (bars with their buttons) or from the consulted colleague's or guest's side (a line on the card). */
function renderParties(call, agent, mine) {
  const consult = call.consult, guest = call.guest;
  $("consult-bar").hidden = !(mine && consult);
  if (consult) $("consult-text").textContent = t(`consult_${consult.state}`, { target: consult.label });
  $("btn-complete").disabled = $("btn-merge").disabled = !(consult && consult.state === "talking");
  $("btn-transfer").disabled = $("btn-conference").disabled = !!(consult || guest);
  $("guest-bar").hidden = !(mine && guest);
  if (guest) $("guest-text").textContent = t(`guest_${guest.state}`, { guest: guest.label });
  let line = "";
  if (!mine && consult && consult.agent_id === agent.id) line = t("consulted_by", { host: consult.host });
  else if (!mine && guest && guest.agent_id === agent.id) line = t("guest_of", { host: guest.host });
  $("party").hidden = !line;
  $("party").textContent = line;
}

function reasonText(reason) { return (TEXTS.reasons || {})[reason] || reason; }

function incomingText(call) {
  const party = call && (call.consult || call.guest);
  if (party && party.agent_id === (desk && desk.agent.id)) return t(call.consult ? "consult_incoming" : "guest_incoming", { host: party.host });
  return `${t("incoming")}: ${call ? call.caller : ""}`;
}

// Tell the caller's agent why a consultation or a guest ended when they did not end it themselves.
function partyToast(kind, data) {
  if (!desk || !desk.call || desk.call.agent_id !== desk.agent.id) return;
  if (kind === "consult_ended" && !["cancelled", "merged"].includes(data.reason)) {
    toast(t("consult_over", { target: data.target || "", reason: reasonText(data.reason) }), "bad");
  } else if (kind === "guest_left" && data.reason !== "dropped") {
    toast(t("guest_over", { guest: data.target || "", reason: reasonText(data.reason) }), "info");
  }
}

function tick() {
  if (!desk) return;
  $("since").textContent = elapsed(desk.agent.since);
  const call = desk.call;
  if (call && desk.agent.state === "wrap_up") {
    // The queue's automatic wrap-up counts down; a required disposition holds the agent in wrap-up.
    const left = call.wrapup_seconds - Math.floor((Date.now() - new Date(desk.agent.since).getTime()) / 1000);
    $("wrapup-left").textContent = left > 0 ? t("wrapup_left", { s: left })
      : call.require_disposition && !call.disposition ? t("disposition_needed") : "";
  } else $("wrapup-left").textContent = "";
}
setInterval(tick, 1000);  // the clocks only; the state itself comes from the socket

document.querySelectorAll("[data-state]").forEach((button) => button.addEventListener("click", () => {
  const fields = { state: button.dataset.state };
  if (fields.state === "paused") fields.pause_code = $("pause-code").value;
  act("set_state", fields, "", button);
}));

document.querySelectorAll("[data-cmd]").forEach((button) => button.addEventListener("click", () => {
  if (desk && desk.call) act(button.dataset.cmd, { call_id: desk.call.call_id }, t("sent"), button);
}));

document.querySelectorAll("[data-digit]").forEach((button) => button.addEventListener("click", () => {
  if (desk && desk.call) act("dtmf", { call_id: desk.call.call_id, digits: button.dataset.digit }, "", button);
}));

$("transfer").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target, type = form.elements.target_type.value;
  const target = type === "agent" ? form.elements.agent.value : form.elements.target.value.trim();
  act("transfer", { call_id: desk.call.call_id, kind: form.elements.kind.value, target_type: type, target,
    note: form.elements.note.value }, t("sent"), event.submitter);
});

$("conference").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target, type = form.elements.target_type.value;
  const target = type === "agent" ? form.elements.agent.value : form.elements.number.value.trim();
  act("conference", { call_id: desk.call.call_id, target_type: type, target }, t("sent"));
});

$("btn-pickup").addEventListener("click", () => act("pickup", {}, t("sent")));

$("wrapup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const ready = event.submitter && event.submitter.dataset.ready;
  act("wrapup", { call_id: desk.call.call_id, disposition: $("disposition").value, notes: $("wrapup-notes").value },
    ready ? "" : t("saved"), event.submitter)
    .then(() => { if (ready) return act("set_state", { state: "ready" }, "", event.submitter); }, () => {});
});

$("ticket-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const subject = $("ticket-subject").value.trim() || $("ticket-subject").placeholder;
  act("create_ticket", { call_id: desk.call.call_id, subject, description: $("wrapup-notes").value }, "", event.submitter)
    .then((data) => toast(t("ticket_created", { number: data.number }), "ok"));
});

$("callback-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  act("callback", { call_id: desk.call.call_id, when: form.elements.when.value, note: form.elements.note.value },
    t("callback_scheduled"), event.submitter).then(loadMyWork);
});

$("new-customer").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  act("create_customer", { name: form.elements.name.value, phone: form.elements.phone.value }, t("customer_created"), event.submitter)
    .then((data) => { desk.call.customer = data.customer; render(); });
});

$("kb-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act("kb_search", { q: event.target.elements.q.value }, "", event.submitter)
    .then((data) => showArticles($("kb-results"), data.articles));
});

function showArticles(list, articles) {
  list.replaceChildren(...(articles.length ? articles.map((a) => el("li", {},
    el("a", { href: a.url, target: "_blank" }, a.title), a.internal ? el("span", { class: "badge" }, t("internal")) : "",
    el("div", { class: "muted", innerHTML: a.snippet }))) : [el("li", { class: "muted" }, t("no_results"))]));
}

function loadSuggestions(callId) {
  $("kb-suggest").dataset.call = String(callId);
  act("kb_suggest", { call_id: callId }).then((data) => {
    if (!desk.call || desk.call.call_id !== data.call_id) return;
    $("kb-suggest").hidden = false;
    $("kb-context").textContent = data.context.length ? `${t("suggested_from")}: ${data.context.join(" · ").slice(0, 160)}` : "";
    showArticles($("kb-suggested"), data.articles);
  }, () => {});
}

$("dial-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act("dial", { number: event.target.elements.number.value.trim() }, t("sent"), event.submitter);
});

// Click-to-call from any phone number on the page (CRM numbers carry data-dial).
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-dial]");
  if (link) { event.preventDefault(); act("dial", { number: link.dataset.dial }, t("sent")); }
});

/* Click-to-call from the CRM: its links open this tab (window name "ccapp-desk") with ?dial=. The
   parameter is dropped at once, so a reload does not call again. */
window.name = "ccapp-desk";
function dialFromLink() {
  const params = new URLSearchParams(location.search), number = params.get("dial");
  if (!number) return;
  params.delete("dial");
  history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
  act("dial", { number }, t("sent"));
}

function loadTimeline(customerId) {
  $("timeline").dataset.customer = String(customerId);
  act("timeline", { customer_id: customerId }).then((data) => {
    $("timeline").replaceChildren(...data.items.map((i) => el("li", {}, `${i.at.slice(0, 16)} ${i.kind} ${i.summary}`)));
  });
}

const localTime = (iso) => (iso || "").slice(0, 16).replace("T", " ");

function loadMyWork() {
  act("my_work").then((data) => {
    $("my-work").replaceChildren(
      ...data.callbacks.map(callbackRow),
      ...data.voicemails.map((v) => el("li", {}, "✉ ", el("a", { href: "#", "data-dial": v.caller }, v.caller), ` ${localTime(v.at)} (${v.seconds}s)`,
        ...(v.audio ? [el("audio", { controls: true, preload: "none", src: v.audio })] : []))));
  }, () => {});
}

// A callback: its status (and the last attempt's result), when it is due, the attempts, a cancel button while pending.
function callbackRow(c) {
  const status = el("span", { class: `badge${["failed", "cancelled"].includes(c.status) ? " warn" : ""}`, "data-status": c.status }, c.status_label);
  const facts = [c.result && c.result !== c.status ? c.result_label : "", c.queue, localTime(c.next_attempt_at || c.when),
    t("attempts", { n: c.attempts, max: c.max_attempts }), c.note].filter(Boolean).join(" · ");
  const cancel = c.cancellable ? el("button", { type: "button", class: "small secondary", "data-cancel-callback": c.id }, t("cancel")) : "";
  return el("li", { "data-callback": c.id }, "☎ ", el("a", { href: "#", "data-dial": c.number }, c.number), " ", status,
    c.mine ? el("span", { class: "badge" }, t("mine")) : "", ` ${facts} `, cancel);
}

$("my-work").addEventListener("click", (event) => {
  const button = event.target.closest("[data-cancel-callback]");
  if (!button) return;
  act("cancel_callback", { callback_id: Number(button.dataset.cancelCallback) }, t("callback_cancelled"), button)
    .then(loadMyWork, loadMyWork);  // already finished elsewhere: the error is shown, the list catches up
});

function loadAgents() {
  act("agents").then((data) => {
    const options = () => data.agents.map((a) => el("option", { value: a.id }, `${a.name} · ${a.state_label}`));
    $("transfer-agent").replaceChildren(...options());
    $("conference-agent").replaceChildren(...options());
  }, () => {});
}
