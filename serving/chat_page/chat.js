// The web chat page: streams the bot's answer from POST /v1/chat/completions (OpenAI chunks), shows citations
// and hand-offs, long-polls human agents' messages, and sends thumbs and CSAT to POST /v1/feedback.
// No library and no network beyond this API. Text is always inserted as text, never as HTML.
(function () {
  "use strict";
  const KEY_STORE = "kefu-chat-key";            // a web-chat key: public, chat and customer feedback only
  const CONVERSATION_STORE = "kefu-chat-conversation";  // one conversation per browser session (tab)
  const HANDOFF_STORE = "kefu-chat-handoff";
  const LANG_STORE = "kefu-chat-lang";
  const TEXT = {
    zh: {
      title: "在线客服", key: "接入密钥", save: "保存", csat: "本次服务满意度：", thanks: "感谢评价！",
      placeholder: "请输入您的问题…", send: "发送", bot: "智能客服", agent: "人工客服", you: "我",
      sources: "参考资料", handoff: "正在为您转接人工客服，请稍候。", up: "有帮助", down: "没帮助",
      rated: "已收到您的反馈", needKey: "请输入接入密钥", error: "出错了：", lang: "English",
    },
    en: {
      title: "Customer service", key: "Access key", save: "Save", csat: "Rate this conversation:",
      thanks: "Thank you!", placeholder: "Type your question…", send: "Send", bot: "Assistant",
      agent: "Agent", you: "You", sources: "Sources", handoff: "Connecting you to a human agent, please wait.",
      up: "Helpful", down: "Not helpful", rated: "Thanks for the feedback", needKey: "Please enter the access key",
      error: "Error: ", lang: "中文",
    },
  };
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem(LANG_STORE) || "zh";  // Chinese first
  let lastAgentTs = 0;  // server times: the browser's clock may differ
  let polling = false;

  const t = (name) => TEXT[lang][name] || TEXT.zh[name];

  function applyLanguage() {
    KefuPage.applyLanguage(lang, t);
  }

  function apiKey() {
    return KefuPage.storedKey(localStorage, KEY_STORE);
  }

  function conversationId() {
    let id = sessionStorage.getItem(CONVERSATION_STORE);
    if (!id) {
      id = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
      sessionStorage.setItem(CONVERSATION_STORE, id);
    }
    return id;
  }

  function status(text, isError) {
    $("status").textContent = text || "";
    document.body.dataset.error = isError ? "true" : "false";
  }

  function bubble(role, text) {
    const node = document.createElement("div");
    node.className = "msg " + role;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = t(role === "customer" ? "you" : role);
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text || "";
    node.append(who, body);
    $("log").append(node);
    node.scrollIntoView({ block: "end" });
    return node;
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": apiKey() || "" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(response.status + " " + (answer.detail || answer.error || response.statusText));
    return answer;
  }

  function sendFeedback(fields, done) {
    postJson("/v1/feedback", { conversation_id: conversationId(), ...fields })
      .then(() => { done(); status(t("rated")); })
      .catch((error) => status(t("error") + error.message, true));
  }

  function showCitations(node, citations) {
    if (!citations || !citations.length) return;
    const list = document.createElement("ol");
    list.className = "citations";
    list.title = t("sources");
    citations.forEach((citation) => {
      const item = document.createElement("li");
      item.dataset.source = citation.source;
      item.textContent = (citation.title ? citation.title + " — " : "") + citation.source;
      list.append(item);
    });
    node.append(list);
  }

  function showRating(node, replyId) {
    const row = document.createElement("div");
    row.className = "rate";
    [["up", "👍"], ["down", "👎"]].forEach(([thumbs, icon]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.thumbs = thumbs;
      button.title = t(thumbs);
      button.textContent = icon;
      button.addEventListener("click", () => sendFeedback(
        { reply_id: replyId, thumbs, feedback_id: replyId + ":thumbs" },
        () => row.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === button))),
      ));
      row.append(button);
    });
    node.append(row);
  }

  function showHandoff(handoff) {
    const banner = $("handoff");
    banner.textContent = t("handoff");  // the reason's detail is for agents and analysts, not the customer
    banner.dataset.reason = handoff.reason;
    banner.hidden = false;
    sessionStorage.setItem(HANDOFF_STORE, "1");
    pollAgents();
  }

  // Server-Sent Events of chat.completion.chunk objects; the last one carries Kefu's fields ("kefu").
  async function streamReply(response, node) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const text = node.querySelector(".text");
    let buffer = "";
    let kefu = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of frame.split("\n")) {
          if (!line.startsWith("data:")) continue;
          const data = line.slice(5).trim();
          if (data === "[DONE]") continue;
          const chunk = JSON.parse(data);
          const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
          if (chunk.kefu && chunk.kefu.replace) {
            text.textContent = chunk.kefu.text;  // the answer fell back: show the final text instead
          } else {
            if (delta && delta.content) text.textContent += delta.content;
            if (chunk.kefu) kefu = chunk.kefu;
          }
        }
      }
    }
    return kefu;
  }

  async function ask(question) {
    bubble("customer", question);
    const node = bubble("bot", "");
    node.dataset.done = "false";
    $("send").disabled = true;
    status("…");
    try {
      const response = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-API-Key": apiKey() || "",
          "X-Conversation-Id": conversationId(),
          "X-Kefu-Channel": "web",
        },
        body: JSON.stringify({
          model: "kefu", stream: true, user: conversationId(), messages: [{ role: "user", content: question }],
        }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        const error = body.error && (body.error.message || body.error);
        throw new Error(response.status + " " + (typeof error === "string" ? error : JSON.stringify(error || body)));
      }
      const kefu = await streamReply(response, node);
      if (kefu && kefu.model_profile === "agent") {
        node.remove();  // a human agent holds the conversation: the bot said nothing, the agent will answer
      } else if (kefu) {
        node.dataset.replyId = kefu.reply_id;
        showCitations(node, kefu.citations);
        showRating(node, kefu.reply_id);
        if (kefu.handoff) showHandoff(kefu.handoff);
      }
      status("");
    } catch (error) {
      node.classList.add("error");
      node.querySelector(".text").textContent = t("error") + error.message;
      status(t("error") + error.message, true);
    } finally {
      node.dataset.done = "true";
      $("send").disabled = false;
    }
  }

  // After a hand-off: long-poll the human agents' messages of this conversation.
  async function pollAgents() {
    if (polling) return;
    polling = true;
    while (polling) {
      try {
        const query = new URLSearchParams({ after: String(lastAgentTs), wait: "20" });
        const response = await fetch(
          "/v1/conversations/" + encodeURIComponent(conversationId()) + "/messages?" + query,
          { headers: { "X-API-Key": apiKey() || "" } },
        );
        if (!response.ok) throw new Error(String(response.status));
        const body = await response.json();
        body.messages.forEach((message) => {
          lastAgentTs = Math.max(lastAgentTs, message.ts);
          bubble("agent", message.text).dataset.eventId = message.event_id;
        });
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    }
  }

  function init() {
    applyLanguage();
    $("lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      localStorage.setItem(LANG_STORE, lang);
      applyLanguage();
    });
    $("key-save").addEventListener("click", () => {
      const typed = $("key").value.trim();
      if (typed) localStorage.setItem(KEY_STORE, typed);
      $("key-box").hidden = Boolean(apiKey());
    });
    $("key-box").hidden = Boolean(apiKey());
    if (!apiKey()) status(t("needKey"), true);
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const question = $("input").value.trim();
      if (!question || $("send").disabled) return;
      if (!apiKey()) { status(t("needKey"), true); return; }
      $("input").value = "";
      ask(question);
    });
    document.querySelectorAll("#csat [data-csat]").forEach((button) => {
      button.addEventListener("click", () => sendFeedback(
        { csat: Number(button.dataset.csat), feedback_id: conversationId() + ":csat" },
        () => {
          document.querySelectorAll("#csat [data-csat]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
          $("csat-done").hidden = false;
        },
      ));
    });
    if (sessionStorage.getItem(HANDOFF_STORE)) pollAgents();
    document.body.dataset.state = "ready";
  }

  init();
})();
