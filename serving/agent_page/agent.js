// The agents' console: the hand-off queue from GET /v1/handoffs (most urgent first), a conversation's summary,
// slots, and its masked transcript and customer messages, kept live from GET /v1/conversations/{id}/transcript
// while it is open; corrected intents and polarities go to POST /v1/feedback (source "agent"), replies to
// POST /v1/conversations/{id}/agent-replies (optionally giving the conversation back to the bot). The queue leaves
// out conversations other agents hold and fresh hand-offs routed to other present agents (the least loaded gets
// the next one); answering a held one anyway asks first, then takes it over.
// No library and no network beyond this API. Text is always inserted as text, never as HTML.
(function () {
  "use strict";
  const KEY_STORE = "kefu-agent-key";     // a full API key (or JWT): never a public web-chat key
  const AGENT_STORE = "kefu-agent-id";
  const LANG_STORE = "kefu-agent-lang";
  const REFRESH_MS = 10000;
  const TRANSCRIPT_MS = 3000;  // the open conversation's transcript: new customer messages show within seconds
  const MAILED_CHANNELS = new Set(["email"]);  // agents' replies go out by e-mail there, given KEFU_SMTP_HOST
  const TEXT = {
    zh: {
      title: "坐席工作台", agentId: "坐席工号", refresh: "刷新", key: "API 密钥", save: "保存", queue: "等待人工",
      empty: "暂无等待人工的会话", transcript: "对话记录（已脱敏）", messages: "客户消息、意图与情感",
      replyHint: "回复客户…", release: "发送后交还机器人", send: "发送", correct: "更正", corrected: "已更正为 ",
      customer: "客户", bot: "机器人", agent: "坐席", handoff: "转人工", reason: "原因", intent: "意图", emotion: "情绪",
      priority: "优先级", channel: "渠道", waiting: "已等待", minutes: " 分钟", text: "消息", predicted: "识别意图与情感",
      polarityUnchanged: "情感不变", polarities: { negative: "负面", neutral: "中性", positive: "正面" },
      byEmail: "邮件渠道：回复将以邮件发给客户（在原邮件线程中，由平台的 SMTP 服务器发出）。",
      noSmtp: "邮件渠道：平台没有配置 SMTP 服务器（KEFU_SMTP_HOST），回复会存档但不外发邮件，请通过邮件系统回复客户。",
      assignedTo: "处理中：", routedTo: "分配给：", takeOver: "坐席 {agent} 正在处理这个会话。仍要由你回复吗？",
      newMessages: "客户有新消息", answered: "已回复，等待客户的新消息（有新消息时会回到队列）",
      sent: "已发送", released: "已发送，会话已交还机器人", needKey: "请输入 API 密钥", needAgent: "请先填写坐席工号",
      error: "出错了：", updated: "更新于 ", lang: "English",
      reasons: {
        customer_request: "客户要求人工", low_confidence: "机器人没有把握", angry_customer: "客户情绪激动",
        must_escalate_topic: "必须升级的话题", unsupported_answer: "答案缺少依据", model_unavailable: "模型不可用",
        moderation: "内容审核", other: "其他",
      },
      emotions: { angry: "生气", anxious: "焦虑", satisfied: "满意", neutral: "平静" },
    },
    en: {
      title: "Agent console", agentId: "Agent ID", refresh: "Refresh", key: "API key", save: "Save", queue: "Waiting",
      empty: "No conversation is waiting for an agent", transcript: "Transcript (masked)",
      messages: "Customer messages, intents and polarities", replyHint: "Reply to the customer…",
      release: "Give back to the bot after sending", send: "Send", correct: "Correct", corrected: "Corrected to ",
      customer: "Customer", bot: "Bot", agent: "Agent", handoff: "Hand-off", reason: "Reason", intent: "Intent", emotion: "Emotion",
      priority: "Priority", channel: "Channel", waiting: "Waiting", minutes: " min", text: "Message",
      predicted: "Predicted intent and polarity", polarityUnchanged: "Polarity as is",
      polarities: { negative: "negative", neutral: "neutral", positive: "positive" },
      byEmail: "E-mail channel: the reply is mailed to the customer, in their thread (through the platform's SMTP server).",
      noSmtp: "E-mail channel: the platform has no SMTP server (KEFU_SMTP_HOST), so the reply is stored but not mailed; answer the customer from your mail system.",
      assignedTo: "With ", routedTo: "Routed to ", takeOver: "Agent {agent} is answering this conversation. Answer it yourself anyway?",
      newMessages: "customer wrote again",
      answered: "Answered; waiting for the customer (it comes back to the queue when they write)",
      sent: "Sent", released: "Sent; the bot has the conversation again",
      needKey: "Please enter the API key", needAgent: "Please fill in your agent ID first", error: "Error: ",
      updated: "Updated ", lang: "中文",
      reasons: {
        customer_request: "customer asked for a human", low_confidence: "bot not confident",
        angry_customer: "angry customer", must_escalate_topic: "must-escalate topic",
        unsupported_answer: "answer not supported", model_unavailable: "model unavailable",
        moderation: "moderation", other: "other",
      },
      emotions: { angry: "angry", anxious: "anxious", satisfied: "satisfied", neutral: "neutral" },
    },
  };
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem(LANG_STORE) || "zh";  // Chinese first
  let handoffs = [];
  let scope = "";  // the tenant the key reads, "*" for an operator key (then each item names its tenant)
  let mails = false;  // whether the platform mails answers to e-mail customers (an SMTP server is configured)
  let selected = null;  // conversation_id
  let current = null;  // the hand-off the detail pane shows; kept after it leaves the queue (answered)
  let shownEvent = null;  // its event id and waiting state: re-rendered only when they change
  let storedTurns = null;  // the open conversation's transcript as stored (null until it first loads)
  let pendingReplies = [];  // replies sent from this page and not yet seen in the stored transcript

  const t = (name) => TEXT[lang][name] || TEXT.zh[name];
  const reasonText = (reason) => t("reasons")[reason] || reason;
  const emotionText = (emotion) => (emotion && t("emotions")[emotion]) || emotion || "-";
  const polarityText = (polarity) => t("polarities")[polarity] || polarity;

  function applyLanguage() {
    KefuPage.applyLanguage(lang, t);
  }

  function apiKey() {
    return KefuPage.storedKey(sessionStorage, KEY_STORE);  // this tab only: a full key
  }

  function status(text, isError) {
    $("status").textContent = text || "";
    document.body.dataset.error = isError ? "true" : "false";
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  async function call(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", "X-API-Key": apiKey() || "" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(response.status + " " + (answer.detail || answer.error || response.statusText));
      error.status = response.status;
      error.answer = answer;
      throw error;
    }
    return answer;
  }

  function minutesWaiting(ts) {
    return Math.max(0, Math.round((Date.now() - Date.parse(ts)) / 60000));
  }

  function renderQueue() {
    const list = $("queue");
    list.replaceChildren();
    handoffs.forEach((handoff) => {
      const item = element("li");
      item.dataset.conversation = handoff.conversation_id;
      item.setAttribute("aria-selected", String(handoff.conversation_id === selected));
      const top = element("div", null, "top");
      top.append(
        element("span", "P" + handoff.priority + " · " + reasonText(handoff.reason), "badge p" + handoff.priority),
        element("span", t("waiting") + " " + minutesWaiting(handoff.waiting_since || handoff.ts) + t("minutes")),
      );
      if (handoff.waiting_for === "customer_reply") top.append(element("span", t("newMessages"), "badge new"));
      if (handoff.assigned_to) top.append(element("span", t("assignedTo") + handoff.assigned_to, "badge assigned"));
      if (handoff.routed_to) top.append(element("span", t("routedTo") + handoff.routed_to, "badge routed"));
      item.append(
        top,
        element("div", (scope === "*" ? handoff.tenant_id + " · " : "") + handoff.conversation_id + " · " +
          handoff.channel + " · " + (handoff.intent || "-"), "ids"),
        element("div", handoff.summary, "summary"),
      );
      item.addEventListener("click", () => select(handoff.conversation_id));
      list.append(item);
    });
    $("count").textContent = "(" + handoffs.length + ")";
    $("empty").hidden = handoffs.length > 0;
    document.body.dataset.waiting = String(handoffs.length);
  }

  function renderDetail(handoff) {
    if (!current || current.conversation_id !== handoff.conversation_id) pendingReplies = [];
    current = handoff;
    shownEvent = handoff.event_id + "/" + handoff.waiting_since;
    $("detail").hidden = false;
    $("d-state").textContent = "";
    $("d-title").textContent = handoff.conversation_id + " · " + handoff.tenant_id;
    const facts = $("d-facts");
    facts.replaceChildren();
    [
      ["reason", reasonText(handoff.reason) + (handoff.detail ? " (" + handoff.detail + ")" : "")],
      ["priority", "P" + handoff.priority], ["channel", handoff.channel], ["intent", handoff.intent || "-"],
      ["emotion", emotionText(handoff.emotion)],
    ].forEach(([name, value]) => facts.append(element("dt", t(name)), element("dd", value)));
    $("d-summary").textContent = handoff.summary || "";
    $("d-channel-note").textContent = MAILED_CHANNELS.has(handoff.channel) ? t(mails ? "byEmail" : "noSmtp") : "";
    $("d-channel-note").hidden = !MAILED_CHANNELS.has(handoff.channel);
    const slots = $("d-slots");
    slots.replaceChildren();
    Object.entries(handoff.slots || {}).forEach(([name, value]) => {
      const row = element("tr");
      row.append(element("th", name), element("td", value));
      slots.append(row);
    });
    storedTurns = null;
    renderTranscript(handoff.transcript || []);  // the hand-off's snapshot until the stored transcript arrives
    renderMessages(handoff);
    loadTranscript();
  }

  function turnNode(turn) {
    const node = element("div", null, "msg " + turn.role);
    if (turn.event_id) node.dataset.event = turn.event_id;
    let who = t(turn.role) || turn.role;
    if (turn.role === "agent" && turn.user_id) who += " " + turn.user_id;
    if (turn.role === "handoff") who += " · " + reasonText(turn.reason);
    node.append(element("span", who, "who"), element("span", turn.text));
    return node;
  }

  function renderTranscript(turns) {
    const box = $("transcript");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    box.replaceChildren(...turns.map(turnNode), ...pendingReplies.map((p) => turnNode({ role: "agent", ...p })));
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  async function loadTranscript() {
    const handoff = current;
    if (!handoff || !apiKey()) return;
    let turns;
    try {
      const path = "/v1/conversations/" + encodeURIComponent(handoff.conversation_id) + "/transcript";
      turns = (await call("GET", path)).messages || [];
    } catch (error) {
      status(t("error") + error.message, true);
      return;
    }
    if (handoff !== current) return;  // another conversation was chosen meanwhile
    const stored = new Set(turns.map((turn) => turn.event_id));
    pendingReplies = pendingReplies.filter((pending) => !stored.has(pending.event_id));
    const last = (list) => (list && list.length ? list[list.length - 1].event_id + "/" + list.length : "");
    if (storedTurns === null || last(storedTurns) !== last(turns)) {
      storedTurns = turns;
      renderTranscript(turns);
      addMessages(handoff, turns.filter((turn) => turn.role === "customer"));
    }
  }

  function renderMessages(handoff) {
    const table = $("messages");
    table.replaceChildren();
    const head = element("tr");
    head.append(element("th", t("text")), element("th", t("predicted")), element("th", t("correct")));
    table.append(head);
    addMessages(handoff, handoff.customer_messages || []);
  }

  function addMessages(handoff, messages) {
    const table = $("messages");
    const shown = new Set([...table.querySelectorAll("tr[data-message]")].map((row) => row.dataset.message));
    messages.filter((message) => !shown.has(message.event_id)).forEach((message) => {
      const row = element("tr");
      row.dataset.message = message.event_id;
      const confidence = typeof message.intent_confidence === "number" ? " " + message.intent_confidence.toFixed(2) : "";
      const polarity = message.polarity ? " · " + polarityText(message.polarity) : "";
      const input = element("input");
      input.setAttribute("list", "intents");
      input.size = 14;
      input.value = message.intent || "";
      const select = element("select");
      select.append(element("option", t("polarityUnchanged")));
      select.firstChild.value = "";
      Object.entries(t("polarities")).forEach(([value, name]) => {
        const option = element("option", name);
        option.value = value;
        select.append(option);
      });
      const button = element("button", t("correct"));
      button.type = "button";
      button.addEventListener("click", () => correct(handoff, message, input.value.trim(), select.value, row));
      const cell = element("td");
      cell.append(input, select, button);
      row.append(element("td", message.text), element("td", (message.intent || "-") + confidence + polarity), cell);
      table.append(row);
    });
  }

  function fillIntentChoices() {
    const seen = new Set();
    handoffs.forEach((h) => {
      if (h.intent) seen.add(h.intent);
      (h.customer_messages || []).forEach((m) => { if (m.intent) seen.add(m.intent); });
    });
    $("intents").replaceChildren(...[...seen].sort().map((label) => { const o = element("option"); o.value = label; return o; }));
  }

  function select(conversationId) {
    selected = conversationId;
    const handoff = handoffs.find((h) => h.conversation_id === conversationId);
    renderQueue();
    if (handoff) renderDetail(handoff);
  }

  async function load() {
    if (!apiKey()) {
      $("key-box").hidden = false;
      status(t("needKey"), true);
      document.body.dataset.state = "needs-key";
      return;
    }
    try {
      const agentId = $("agent-id").value.trim();  // conversations other agents hold are left out
      const queue = await call("GET", "/v1/handoffs" + (agentId ? "?agent_id=" + encodeURIComponent(agentId) : ""));
      handoffs = queue.handoffs || [];
      scope = queue.tenant || "";
      mails = Boolean(queue.mails_email_answers);
    } catch (error) {
      status(t("error") + error.message, true);
      document.body.dataset.state = "error";
      return;
    }
    fillIntentChoices();
    const waiting = handoffs.find((h) => h.conversation_id === selected);
    if (!waiting && current) {
      $("d-state").textContent = t("answered");  // answered: stays open for follow-ups until another is chosen
    } else if (waiting && waiting.event_id + "/" + waiting.waiting_since !== shownEvent && !$("reply-text").value) {
      renderDetail(waiting);  // new customer messages or a newer hand-off; never under the agent's typing
    }
    renderQueue();
    status(t("updated") + new Date().toLocaleTimeString());
    document.body.dataset.state = "ready";
  }

  // An intent is sent only when it differs from the prediction, a polarity only when one is chosen: a click that
  // fixes one of them does not also label the other.
  async function correct(handoff, message, label, polarity, row) {
    const body = { conversation_id: handoff.conversation_id, source: "agent", message_id: message.event_id };
    if (label && label !== (message.intent || "")) body.corrected_intent = label;
    if (polarity) body.corrected_polarity = polarity;
    if (!body.corrected_intent && !body.corrected_polarity) return;
    try {
      await call("POST", "/v1/feedback", body);
      const shown = [body.corrected_intent, polarity && polarityText(polarity)].filter(Boolean);
      row.querySelectorAll(".corrected").forEach((node) => node.remove());
      row.lastChild.append(element("span", " " + t("corrected") + shown.join(" · "), "corrected"));
      if (body.corrected_intent) row.dataset.corrected = body.corrected_intent;
      if (body.corrected_polarity) row.dataset.correctedPolarity = body.corrected_polarity;
    } catch (error) {
      status(t("error") + error.message, true);
    }
  }

  async function reply(event) {
    event.preventDefault();
    const handoff = current;
    const text = $("reply-text").value.trim();
    const agentId = $("agent-id").value.trim();
    if (!handoff || !text) return;
    if (!agentId) {
      status(t("needAgent"), true);
      $("agent-id").focus();
      return;
    }
    localStorage.setItem(AGENT_STORE, agentId);
    const release = $("release").checked;
    const messageId = "console-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()));
    $("send").disabled = true;
    try {
      const path = "/v1/conversations/" + encodeURIComponent(handoff.conversation_id) + "/agent-replies";
      const body = { text, agent_id: agentId, message_id: messageId, release };  // message_id: a retry is stored once
      let answer;
      try {
        answer = await call("POST", path, body);
      } catch (error) {  // 409: another agent holds the conversation; answering anyway takes it over
        if (error.status !== 409 || !window.confirm(t("takeOver").replace("{agent}", error.answer.held_by))) throw error;
        answer = await call("POST", path, { ...body, take_over: true });
      }
      const eventId = ((answer.results || [])[0] || {}).event_id;
      pendingReplies.push({ event_id: eventId, text, user_id: agentId });  // until the stored one is seen
      renderTranscript(storedTurns || handoff.transcript || []);
      $("reply-text").value = "";
      $("release").checked = false;
      status(release ? t("released") : t("sent"));
      document.body.dataset.sent = String(Number(document.body.dataset.sent || 0) + 1);
    } catch (error) {
      status(t("error") + error.message, true);
    } finally {
      $("send").disabled = false;
    }
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem(LANG_STORE, lang);
    applyLanguage();
    renderQueue();
    if (current && !$("reply-text").value) renderDetail(current);
  });
  $("key-save").addEventListener("click", () => {
    sessionStorage.setItem(KEY_STORE, $("key").value.trim());
    $("key-box").hidden = true;
    load();
  });
  $("refresh").addEventListener("click", load);
  $("reply").addEventListener("submit", reply);
  $("agent-id").value = localStorage.getItem(AGENT_STORE) || "";
  applyLanguage();
  load();
  setInterval(load, REFRESH_MS);
  setInterval(loadTranscript, TRANSCRIPT_MS);
})();
