/* 职称助手 web chat page. Plain JavaScript, no build step, no third-party code.
 *
 * Every text from the server or the user is put on the page with textContent, never as HTML.
 * The conversation lives on the server: after a reload or a dropped connection the page asks for
 * the history again (GET api/state). A request that failed in transit is retried with the same
 * client_id, and the server answers a repeat from its history instead of handling it twice.
 */
(function () {
  "use strict";

  var log = document.getElementById("log");
  var menu = document.getElementById("menu");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var typing = document.getElementById("typing");
  var typingText = document.getElementById("typing-text");
  var statusBox = document.getElementById("status");
  var langButtons = document.querySelectorAll(".langs button");
  // the language the server rendered this page in; the conversation follows the user's choice
  var pageLang = document.documentElement.getAttribute("data-lang") || "zh";

  var csrf = "";
  var texts = {};
  var maxLength = 1000;
  var busy = false;
  var rendered = new Map();
  var wakeUp = null;
  var lastStateAt = 0;
  // a refusal for sending too fast is waited out and the message sent again when the wait is this short (seconds)
  var MAX_RATE_WAIT = 15;
  // the page's other tabs (same browser, same session): told when the conversation changed here
  var tabs = "BroadcastChannel" in window ? new BroadcastChannel("zc-chat") : null;
  var otherTabMoved = false;

  function t(key, values) {
    var s = texts[key] || "";
    if (values) {
      Object.keys(values).forEach(function (k) { s = s.split("{" + k + "}").join(String(values[k])); });
    }
    return s;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // web addresses (ASCII only, so a full-width ， or 。 ends one), e-mail addresses and
  // Chinese landline numbers (0532-85161632)
  var LINKABLE = /(https?:\/\/[A-Za-z0-9\-._~:\/?#\[\]@!$&'()*+;=%]+)|([\w.+-]+@[\w-]+(?:\.[\w-]+)+)|(0\d{2,3}-\d{7,8})/g;

  function linked(text) {
    // text nodes and <a> elements only: nothing of the text is ever parsed as HTML
    var fragment = document.createDocumentFragment();
    var last = 0;
    text.replace(LINKABLE, function (match, url, email, phone, offset) {
      var shown = match;
      if (url) { shown = match.replace(/[.,;:!?)\]]+$/, ""); }
      fragment.appendChild(document.createTextNode(text.slice(last, offset)));
      var a = el("a", null, shown);
      a.href = url ? shown : (email ? "mailto:" + shown : "tel:" + shown.replace(/-/g, ""));
      if (url) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
      fragment.appendChild(a);
      last = offset + shown.length;
      return match;
    });
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function sleep(ms) {
    return new Promise(function (resolve) {
      var timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); wakeUp = null; resolve(); }
      wakeUp = done;
    });
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function atBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 4; }

  /** Runs a change to the rows below the conversation (status line, typing indicator): they take
   * height from the conversation, so a conversation read at its end stays at its end. */
  function keepingBottom(change) {
    var pinned = atBottom();
    change();
    if (pinned) { scrollDown(); }
  }

  function setStatus(text, ok) {
    keepingBottom(function () {
      statusBox.textContent = text || "";
      statusBox.classList.toggle("ok", Boolean(ok));
    });
  }

  function setBusy(on) {
    busy = on;
    keepingBottom(function () {
      typing.hidden = !on;
      typingText.textContent = on ? t("typing") : "";
    });
    sendButton.setAttribute("aria-disabled", on ? "true" : "false");
  }

  /**
   * Shows a new reply from its beginning: a reply taller than the conversation's window (a verdict,
   * a long answer on a phone) would otherwise be shown from its end, its first lines scrolled away.
   */
  function reveal(node) {
    if (!node) { scrollDown(); return false; }
    // the log is the messages' offset parent (position: relative); a little of the message above stays in view
    var start = Math.max(node.offsetTop - 12, 0);
    var end = log.scrollHeight - log.clientHeight;
    log.scrollTop = Math.min(start, end);
    return start < end;  // true: the reply is taller than the window and shown from its start
  }

  // ---- rendering ------------------------------------------------------------------------------
  function whoLabel(role) {
    if (role === "user") { return t("you"); }
    if (role === "notice") { return t("notice"); }
    if (role === "error") { return ""; }
    return t("bot");
  }

  function renderMessage(m) {
    var article = el("article", "msg " + m.role);
    var who = whoLabel(m.role);
    if (who) {
      article.appendChild(el("p", m.role === "notice" ? "who" : "who sr-only", who + "："));
    }
    if (m.text) {
      var body = el("p", "text");
      // the bot's links, e-mail and phone numbers can be tapped; what the user typed stays text
      body.appendChild(m.role === "user" ? document.createTextNode(m.text) : linked(m.text));
      article.appendChild(body);
    }
    if (m.source) {
      // the line names itself (来源：… / Source: …), so no label of its own
      article.appendChild(el("p", "source", m.source));
    }
    if (m.buttons && m.buttons.length) {
      var group = el("div", "buttons");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", t("buttons_label"));
      m.buttons.forEach(function (row) {
        row.forEach(function (b) { group.appendChild(makeButton(b)); });
      });
      article.appendChild(group);
    }
    return article;
  }

  function makeButton(b) {
    var button = el("button", "", b.text);
    button.type = "button";
    button.dataset.callback = b.data;
    button.addEventListener("click", function () { press(b.data); });
    return button;
  }

  /** Adds a message, or replaces the one with the same id (an edited reply). */
  function upsert(m) {
    var node = renderMessage(m);
    if (m.id !== null && m.id !== undefined && rendered.has(m.id)) {
      var old = rendered.get(m.id);
      old.replaceWith(node);
    } else {
      log.appendChild(node);
    }
    if (m.id !== null && m.id !== undefined) { rendered.set(m.id, node); }
    return node;
  }

  function showLocal(role, text) {
    var node = upsert({ id: null, role: role, text: text, source: "", buttons: [] });
    scrollDown();
    return node;
  }

  function renderAll(state) {
    rendered.clear();
    log.textContent = "";
    if (!state.messages.length && state.intro) { upsert(state.intro); }
    state.messages.forEach(upsert);
    settleButtons();
    scrollDown();
  }

  /**
   * Buttons stay live only in the messages after the user's latest turn. Once the user has moved on
   * (answered, left a dialog, asked something else) the older buttons are spent: they are disabled
   * and greyed out, so nobody presses a question that is no longer asked. The menu strip is always live.
   */
  function settleButtons() {
    var messages = log.querySelectorAll(".msg");
    var live = true;
    for (var i = messages.length - 1; i >= 0; i--) {
      if (!live) {
        messages[i].querySelectorAll(".buttons button").forEach(function (b) { b.disabled = true; });
      }
      if (messages[i].classList.contains("user")) { live = false; }
    }
  }

  function renderMenu(buttons) {
    menu.textContent = "";
    buttons.forEach(function (b) { menu.appendChild(makeButton(b)); });
  }

  // ---- talking to the server ----------------------------------------------------------------
  function request(url, options) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, 20000);
    options = options || {};
    options.headers = Object.assign({ "X-Page-Language": pageLang }, options.headers || {});
    options.signal = controller.signal;
    options.credentials = "same-origin";
    options.cache = "no-store";
    return fetch(url, options).finally(function () { clearTimeout(timer); });
  }

  function retryable(res) {
    return res === null || res.status === 502 || res.status === 503 || res.status === 504;
  }

  async function backoff(attempt) {
    setStatus(attempt > 5 ? t("offline") : t("reconnecting"));
    await sleep(Math.min(1000 * Math.pow(2, attempt), 15000));
  }

  /** A refusal for coming too fast (429) with a short ``Retry-After``: says so, waits it out and
   * returns true (the caller tries again); false for any other answer. */
  async function waitedOut(res) {
    if (!res || res.status !== 429) { return false; }
    var wait = Number(res.headers.get("Retry-After"));
    if (!(wait > 0 && wait <= MAX_RATE_WAIT)) { return false; }
    setStatus(await errorText(res));
    await sleep(wait * 1000 + 250);
    return true;
  }

  async function loadState() {
    var limitedState = 0;
    for (var attempt = 0; ; attempt++) {
      var res = null;
      try { res = await request("api/state"); } catch (e) { res = null; }
      if (res && res.ok) {
        var state = await res.json();
        if (state.lang && state.lang !== pageLang) {
          // the language was changed in another tab: this page is rendered in the old one
          window.location.reload();
          return;
        }
        csrf = state.csrf;
        texts = state.texts || {};
        maxLength = state.max_length || maxLength;
        renderMenu(state.menu || []);
        renderAll(state);
        lastStateAt = Date.now();
        if (state.new_notices) { setStatus(t("new_notices"), true); }
        else if (limitedState) { setStatus(""); }
        else if (attempt > 0) { setStatus(t("reconnected"), true); }
        return;
      }
      if (limitedState < 3 && await waitedOut(res)) {
        // too many new visits from this address just now: waited as asked, ask again
        limitedState++;
        continue;
      }
      if (!retryable(res)) {
        setStatus(await errorText(res));
        return;
      }
      await backoff(attempt);
    }
  }

  async function errorText(res) {
    try {
      var body = await res.json();
      if (body && body.error) { return body.error; }
    } catch (e) { /* not JSON */ }
    return t("send_failed");
  }

  /** Sends one user action; retries through dropped connections with the same client_id. */
  async function post(body) {
    body.client_id = newId();
    var renewed = false;
    var reconnected = false;
    var limited = 0;
    for (var attempt = 0; ; attempt++) {
      var res = null;
      try {
        res = await request("api/message", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
          body: JSON.stringify(body),
        });
      } catch (e) { res = null; }
      if (res && res.ok) {
        var result = await res.json();
        if (result.csrf) { csrf = result.csrf; }  // the session id was replaced (bind, forget)
        if (reconnected) { setStatus(t("reconnected"), true); } else { setStatus(""); }
        return result;
      }
      if (res && res.status === 403 && !renewed) {
        renewed = true;
        await loadState();  // fresh CSRF token (and session cookie, if it was gone)
        continue;
      }
      if (limited < 3 && await waitedOut(res)) {
        // sent too fast: the message was not handled; it goes again now that the wait is over
        limited++;
        continue;
      }
      if (!retryable(res)) {
        return { error: await errorText(res) };
      }
      reconnected = true;
      await backoff(attempt);
    }
  }

  async function act(body, optimistic) {
    if (busy) { return; }
    setBusy(true);
    // refusals of earlier attempts are spent once the user tries again
    log.querySelectorAll(".msg.error").forEach(function (node) { node.remove(); });
    var pending = optimistic ? showLocal("user", optimistic) : null;
    var pressed = body.kind === "button";
    var result;
    try {
      result = await post(body);
    } finally {
      setBusy(false);
    }
    if (pending) { pending.remove(); }
    if (otherTabMoved && !result.error) {
      otherTabMoved = false;
      await loadState();  // the whole conversation, this reply included, in order
      if (tabs) { tabs.postMessage("changed"); }
      return;
    }
    if (result.error) {
      // what the user typed was not taken: it goes back into the box (unless they typed something new)
      if (body.kind === "text" && !input.value) { input.value = body.text; autosize(); }
      showLocal("error", result.error);
      return;
    }
    if (result.lang && result.lang !== pageLang) {
      // the user's language changed (/lang, the toggle, a question in the other language): the
      // page itself is rendered per language, so load it again; the conversation is kept
      if (tabs) { tabs.postMessage("changed"); }
      window.location.reload();
      return;
    }
    if (result.reset) { rendered.clear(); log.textContent = ""; }
    if (!result.reset && !(result.messages || []).length && !(result.toasts || []).length) {
      // answered elsewhere (a retry that another server process handled first): show the history
      await loadState();
      return;
    }
    var firstButton = null;
    var firstReply = null;
    (result.messages || []).forEach(function (m) {
      var added = !(m.id !== null && m.id !== undefined && rendered.has(m.id));
      var node = upsert(m);
      if (!firstButton && m.role !== "user") { firstButton = node.querySelector(".buttons button"); }
      if (!firstReply && added && m.role !== "user") { firstReply = node; }
    });
    if (result.toasts && result.toasts.length) { setStatus(result.toasts.join(" "), true); }
    settleButtons();
    var fromStart = reveal(firstReply);
    // keyboard users continue a dialog from its first offered button; typing users stay in the box;
    // a pressed button that is now spent hands the focus to the conversation (not to the input box,
    // which would open a phone's keyboard)
    // (a reply shown from its start keeps that view: focusing its button would scroll to its end)
    if (pressed && firstButton) { firstButton.focus({ preventScroll: fromStart }); } else if (!pressed) { input.focus(); }
    else if (document.activeElement && document.activeElement.disabled) { log.focus(); }
    if (tabs) { tabs.postMessage("changed"); }
  }

  function press(data) {
    act({ kind: "button", data: data }, null);
  }

  function submitText() {
    var text = input.value;
    if (!text.trim()) { setStatus(t("empty")); return; }
    if (length(text) > maxLength) { setStatus(t("too_long", { limit: maxLength })); input.focus(); return; }
    if (busy) { return; }
    input.value = "";
    autosize();
    act({ kind: "text", text: text }, text.trim());
  }

  /** Characters as the server counts them (an emoji is one, not two UTF-16 units). */
  function length(text) { return Array.from(text).length; }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 4, 140) + "px";
  }

  // the 中文 / English toggle is the core's /lang button: the user's choice is stored with them
  langButtons.forEach(function (button) {
    var current = button.dataset.lang === pageLang;
    button.setAttribute("aria-pressed", current ? "true" : "false");
    button.addEventListener("click", function () {
      if (!current) { press("lang:" + button.dataset.lang); }
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitText();
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter adds a line; never while an input method is composing Chinese
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submitText();
    }
  });
  input.addEventListener("input", function () {
    autosize();
    // a pasted text over the limit stays whole in the box (no silent cut): the user is told and shortens it
    var over = length(input.value) > maxLength;
    if (over) { setStatus(t("too_long", { limit: maxLength })); }
    else if (input.getAttribute("aria-invalid") === "true") { setStatus(""); }
    input.setAttribute("aria-invalid", over ? "true" : "false");
  });
  window.addEventListener("online", function () { if (wakeUp) { wakeUp(); } });
  if (tabs) {
    // the same conversation goes on in another tab: show it here too (while a reply is on its way
    // here, once it has arrived)
    tabs.addEventListener("message", function () { if (busy) { otherTabMoved = true; } else { loadState(); } });
  }
  window.addEventListener("resize", scrollDown);
  document.addEventListener("visibilitychange", function () {
    // announcements wait in the inbox: look again when the page comes back after a while
    if (document.visibilityState === "visible" && !busy && Date.now() - lastStateAt > 60000) { loadState(); }
  });

  if (navigator.cookieEnabled === false) {
    // the conversation lives in a session cookie: without cookies every send would end in "page
    // expired", which reloading cannot fix; say what can
    document.getElementById("cookies-off").hidden = false;
  }
  loadState();
})();
