// The playground page: the alerts channel, the incident hub and each incident's channel, rendered from the emulator's
// state and refreshed on server-sent events.
/* global document, window, location, localStorage, fetch, setTimeout, clearTimeout, EventSource, URLSearchParams */
'use strict';

(function () {
  const { el, blocks, attachments, mrkdwn, textObject, viewValues, restoreValues, fileCard } = window.BlockKit;
  const $ = (id) => document.getElementById(id);

  let state = null;
  // The per-start token the server put in the page; every API call carries it.
  const TOKEN = (document.querySelector('meta[name="playground-token"]') || { content: '' }).content;
  let me = new URLSearchParams(location.search).get('user') || localStorage.getItem('playground-user') || 'U0ONCALL01';
  let openThread = null;
  // Dismissed ephemerals stay dismissed after a reload, per person.
  const dismissedKey = () => `playground-dismissed-${me}`;
  const loadDismissed = () => new Set(JSON.parse(localStorage.getItem(dismissedKey()) || '[]'));
  let dismissed = loadDismissed();
  const dismiss = (ts) => {
    dismissed.add(ts);
    localStorage.setItem(dismissedKey(), JSON.stringify([...dismissed].slice(-500)));
    render();
  };
  // After you send a command or click, the next message for you is scrolled into view.
  let awaitingAnswerAfter = null;
  let channel = localStorage.getItem('playground-channel') || '';
  let shownView = '';

  // The first example gives real results from the demo targets (OK, WARN and CRIT), not "not configured".
  const HINTS = [
    '/incident diagnose WorkerDown worker=worker-7',
    '/incident help',
    '/incident diagnose StuckDetected agent=agent-7',
    '/incident open',
    '/incident list',
    '/incident runbooks',
  ];

  async function post(path, body) {
    if (path === '/api/compose' || path === '/api/action') awaitingAnswerAfter = latestTs();
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-playground-token': TOKEN }, body: JSON.stringify({ user: me, channel, ...body }) });
    const json = await res.json().catch(() => ({}));
    if (json.error === 'unknown_channel') switchChannel('');
    if (!res.ok || json.ok === false) toast(`${path.replace('/api/', '')}: ${json.error || `HTTP ${json.status || res.status}`}`);
    return json;
  }

  let toastTimer;
  function toast(text) {
    const t = $('toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (t.hidden = true), 4000);
  }

  // ---- rendering -----------------------------------------------------------------------------------------------

  function channelName(id) {
    const c = state && state.channels.find((x) => x.id === id);
    return c ? c.name : id;
  }

  function switchChannel(id) {
    if (id === channel) return;
    channel = id;
    localStorage.setItem('playground-channel', channel);
    openThread = null;
    refresh();
  }

  function userName(id) {
    const u = state && state.users.find((x) => x.id === id);
    return u ? u.name : id;
  }

  function author(m) {
    if (m.user === 'U0INCIDENTBOT' || m.bot_id === 'B0INCIDENTBOT') return { name: 'incident-bot', app: true, initial: 'IB', kind: 'bot' };
    if (m.bot_id) return { name: m.username || m.bot_id, app: true, initial: (m.username || 'A')[0].toUpperCase(), kind: 'other-app' };
    const u = state.users.find((x) => x.id === m.user);
    return { name: u ? u.real_name || u.name : m.user || 'someone', app: false, initial: (u ? u.name : '?')[0].toUpperCase() };
  }

  function time(ts) {
    const d = new Date(Number(ts) * 1000);
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function fileUrl(id, download) {
    return `/api/files/${encodeURIComponent(id)}?token=${encodeURIComponent(TOKEN)}${download ? '&download=1' : ''}`;
  }

  const fileTexts = new Map();
  function loadFile(id) {
    if (!fileTexts.has(id)) {
      fileTexts.set(
        id,
        fetch(fileUrl(id, false), { headers: { 'x-playground-token': TOKEN } }).then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`)))),
      );
    }
    return fileTexts.get(id);
  }

  const ctx = (m, ephemeral) => ({
    userName,
    channelName,
    fileUrl,
    loadFile,
    openChannel: (id) => state.channels.some((c) => c.id === id) && switchChannel(id),
    onAction: (action) => post('/api/action', { messageTs: m.ts, ephemeral, action }),
    confirm: confirmDialog,
  });

  function messageNode(m, { ephemeral = false, inThread = false } = {}) {
    const a = author(m);
    const c = ctx(m, ephemeral);
    const body = el('div', { class: 'message-body' });
    if (m.blocks && m.blocks.length) body.append(blocks(m.blocks, c));
    else if (m.text) body.append(el('div', { class: 'message-text' }, mrkdwn(m.text, c)));
    if (m.attachments && m.attachments.length) body.append(...attachments(m.attachments, c));
    if (m.files && m.files.length) body.append(...m.files.map((f) => fileCard(f, c)));
    const replies = m.replies || [];
    return el(
      'div',
      { class: `message ${ephemeral ? 'ephemeral' : ''}`, dataset: { ts: m.ts } },
      el('div', { class: `avatar ${a.kind || ''}` }, a.initial),
      el(
        'div',
        { class: 'message-main' },
        el(
          'div',
          { class: 'message-meta' },
          el('span', { class: 'author' }, a.name),
          a.app ? el('span', { class: 'app-badge' }, 'APP') : null,
          el('span', { class: 'time' }, time(m.ts)),
          m.edited ? el('span', { class: 'edited' }, '(edited)') : null,
          m.subtype === 'thread_broadcast' ? el('span', { class: 'edited' }, 'replied to a thread') : null,
        ),
        ephemeral ? el('div', { class: 'ephemeral-note' }, '👁 Only visible to you', el('button', { class: 'link-button', type: 'button', onclick: () => dismiss(m.ts) }, 'Dismiss')) : null,
        body,
        !inThread && !ephemeral && replies.length
          ? el(
              'button',
              { class: 'thread-summary', type: 'button', onclick: () => openThreadPane(m.ts) },
              plural(replies.length, 'reply', 'replies'),
              el('span', { class: 'thread-last' }, `Last reply ${time(replies[replies.length - 1].ts)}`),
            )
          : null,
      ),
      !inThread && !ephemeral ? el('button', { class: 'reply-button', type: 'button', title: 'Reply in thread', onclick: () => openThreadPane(m.ts) }, '💬') : null,
    );
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  /** The newest ts on the page (messages, replies, your ephemerals). */
  function latestTs() {
    if (!state) return '0';
    let max = 0;
    for (const m of state.messages) {
      max = Math.max(max, Number(m.ts));
      for (const r of m.replies || []) max = Math.max(max, Number(r.ts));
    }
    for (const e of state.ephemerals) max = Math.max(max, Number(e.ts));
    return String(max);
  }

  /** Scrolls the first message newer than your last command or click into view, once it is there. */
  function scrollToAnswer() {
    if (awaitingAnswerAfter === null) return;
    const after = Number(awaitingAnswerAfter);
    const nodes = [...document.querySelectorAll('#messages .message, #thread-messages .message')].filter((n) => Number(n.dataset.ts) > after);
    if (nodes.length === 0) return;
    nodes.sort((a, b) => Number(a.dataset.ts) - Number(b.dataset.ts));
    nodes[0].scrollIntoView({ block: 'nearest' });
    awaitingAnswerAfter = null;
  }

  function keepScroll(container, fill) {
    const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
    const top = container.scrollTop;
    fill();
    container.scrollTop = atBottom ? container.scrollHeight : top;
  }

  function render() {
    if (!state) return;
    const ephemerals = state.ephemerals.filter((e) => !dismissed.has(e.ts));
    const top = [
      ...state.messages.map((m) => ({ m, ephemeral: false })),
      ...ephemerals.filter((e) => !e.thread_ts).map((m) => ({ m, ephemeral: true })),
    ].sort((x, y) => Number(x.m.ts) - Number(y.m.ts));

    keepScroll($('messages'), () => {
      $('messages').replaceChildren(
        ...(top.length ? [] : [el('div', { class: 'empty' }, 'Nothing here yet. Post an alert from the menu, or type /incident help.')]),
        ...top.map(({ m, ephemeral }) => messageNode(m, { ephemeral })),
      );
    });

    const pane = $('thread-pane');
    const parent = openThread && state.messages.find((m) => m.ts === openThread);
    pane.hidden = !parent;
    if (parent) {
      const inThread = [
        ...(parent.replies || []).map((m) => ({ m, ephemeral: false })),
        ...ephemerals.filter((e) => e.thread_ts === parent.ts).map((m) => ({ m, ephemeral: true })),
      ].sort((x, y) => Number(x.m.ts) - Number(y.m.ts));
      keepScroll($('thread-messages'), () => {
        $('thread-messages').replaceChildren(
          messageNode(parent, { inThread: true }),
          el('div', { class: 'thread-divider' }, plural((parent.replies || []).length, 'reply', 'replies')),
          ...inThread.map(({ m, ephemeral }) => messageNode(m, { ephemeral, inThread: true })),
        );
      });
    }
    renderModal();
    renderSidebar();
    scrollToAnswer();
  }

  function renderChannel() {
    const c = state.channel;
    channel = c.id;
    document.title = `#${c.name} · incident-bot playground`;
    $('channel-name').textContent = `# ${c.name}`;
    $('thread-channel').textContent = `# ${c.name}`;
    $('composer-input').placeholder = `Message #${c.name} — or /incident help`;
    const kind = (state.channels.find((x) => x.id === c.id) || {}).kind;
    const topic = c.topic !== undefined ? c.topic : kind === 'hub' ? 'One summary per incident, edited as it changes' : 'Alerts, diagnoses and incidents · try /incident help';
    $('channel-topic').replaceChildren(c.topic ? mrkdwn(c.topic, { userName, channelName }) : topic);
    const marks = c.bookmarks || [];
    $('bookmarks').hidden = marks.length === 0;
    $('bookmarks').replaceChildren(...marks.map((b) => el('a', { class: 'bookmark', href: /^https?:/i.test(b.link) ? b.link : undefined, target: '_blank', rel: 'noopener noreferrer' }, `🔖 ${b.title}`)));
    $('channel-list').replaceChildren(
      ...state.channels.map((x) =>
        el('button', { type: 'button', class: `channel-link ${x.id === c.id ? 'active' : ''} ${x.kind}`, dataset: { channel: x.id }, onclick: () => switchChannel(x.id) }, `# ${x.name}`),
      ),
    );
  }

  function renderSidebar() {
    renderChannel();
    const sw = $('user-switcher');
    if (!sw.options.length) {
      for (const u of state.users.filter((x) => !x.is_bot)) sw.append(el('option', { value: u.id }, u.real_name));
    }
    sw.value = me;
    const d = state.demo;
    $('demo-status').replaceChildren(
      el('div', {}, `Drift: ${Math.round(d.level * 100)}% toward alert states`),
      el('div', { class: 'meter' }, el('div', { class: 'meter-fill', style: `width:${Math.round(d.level * 100)}%` })),
      el('div', { class: 'muted' }, `Not configured: ${d.unset.join(', ')}`),
    );
  }

  function renderAlertMenu() {
    const filter = $('alert-filter').value.trim().toLowerCase();
    const list = state.alerts.filter((a) => !filter || a.name.toLowerCase().includes(filter) || a.runbook.includes(filter));
    const byRunbook = {};
    for (const a of list) (byRunbook[a.runbook] = byRunbook[a.runbook] || []).push(a);
    $('alert-list').replaceChildren(
      ...Object.entries(byRunbook).map(([rb, alerts]) =>
        el(
          'div',
          { class: 'alert-group' },
          el('div', { class: 'alert-group-title' }, rb),
          alerts.map((a) =>
            el(
              'button',
              {
                class: 'alert-item',
                type: 'button',
                dataset: { alert: a.name },
                onclick: async () => {
                  $('alert-menu').hidden = true;
                  await post('/api/alert', { name: a.name });
                },
              },
              el('span', { class: `sev sev-${a.severity}` }, a.severity),
              a.name,
            ),
          ),
        ),
      ),
    );
  }

  // ---- modals ----------------------------------------------------------------------------------------------------

  function renderModal() {
    const top = state.views[state.views.length - 1];
    const key = top ? JSON.stringify([top.view.id, top.view.hash, top.view.blocks, top.errors]) : '';
    if (key === shownView) return;
    shownView = key;
    const root = $('modal-root');
    // The same view drawn again (errors from the app, views.update): what was typed stays.
    const previous = root.querySelector('form.modal');
    const typed = top && previous && previous.dataset.viewId === top.view.id ? viewValues(previous) : null;
    if (!top) {
      root.replaceChildren();
      return;
    }
    const v = top.view;
    const noCtx = { userName, channelName, onAction: () => toast('this element only works in a message in the playground'), confirm: confirmDialog };
    const form = el(
      'form',
      {
        class: 'modal',
        role: 'dialog',
        dataset: { viewId: v.id },
        'aria-label': v.title ? v.title.text : 'Modal',
        onsubmit: async (ev) => {
          ev.preventDefault();
          const submit = form.querySelector('.modal-submit');
          if (submit) submit.disabled = true;
          await post('/api/submit', { viewId: v.id, values: viewValues(form) });
          if (submit) submit.disabled = false;
        },
      },
      el('div', { class: 'modal-header' }, el('span', { class: 'modal-title' }, v.title ? v.title.text : ''), el('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', onclick: () => post('/api/close', { viewId: v.id }) }, '✕')),
      el('div', { class: 'modal-body' }, blocks(v.blocks, noCtx, { errors: top.errors })),
      el(
        'div',
        { class: 'modal-footer' },
        el('button', { type: 'button', class: 'bk-button', onclick: () => post('/api/close', { viewId: v.id }) }, v.close ? v.close.text : 'Cancel'),
        v.submit ? el('button', { type: 'submit', class: 'bk-button bk-primary modal-submit' }, textObject(v.submit, noCtx)) : null,
      ),
    );
    root.replaceChildren(el('div', { class: 'overlay' }, form));
    if (typed) restoreValues(form, typed);
    const invalid = form.querySelector('.has-error .bk-input');
    const first = invalid || form.querySelector('input, textarea, select');
    if (first) first.focus();
  }

  function confirmDialog(confirm, onYes) {
    const close = () => $('modal-root').querySelector('.confirm-overlay')?.remove();
    const c = { userName, onAction: () => undefined };
    $('modal-root').append(
      el(
        'div',
        { class: 'overlay confirm-overlay' },
        el(
          'div',
          { class: 'modal confirm', role: 'alertdialog' },
          el('div', { class: 'modal-header' }, el('span', { class: 'modal-title' }, confirm.title ? confirm.title.text : 'Are you sure?')),
          el('div', { class: 'modal-body' }, textObject(confirm.text, c)),
          el(
            'div',
            { class: 'modal-footer' },
            el('button', { type: 'button', class: 'bk-button', onclick: close }, confirm.deny ? confirm.deny.text : 'Cancel'),
            el('button', { type: 'button', class: `bk-button ${confirm.style === 'danger' ? 'bk-danger' : 'bk-primary'}`, onclick: () => { close(); onYes(); } }, confirm.confirm ? confirm.confirm.text : 'Yes'),
          ),
        ),
      ),
    );
  }

  // ---- data --------------------------------------------------------------------------------------------------------

  let loading = null;
  let again = false;
  async function refresh() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        const res = await fetch(`/api/state?user=${encodeURIComponent(me)}&channel=${encodeURIComponent(channel)}`, { headers: { 'x-playground-token': TOKEN } });
        state = await res.json();
        render();
      } while (again);
    })().finally(() => (loading = null));
    return loading;
  }

  function connect() {
    const es = new EventSource(`/events?token=${encodeURIComponent(TOKEN)}`);
    let timer;
    es.addEventListener('change', () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 30);
    });
    es.onopen = () => {
      $('connection').className = 'connection live';
      refresh();
    };
    es.onerror = () => ($('connection').className = 'connection down');
  }

  function openThreadPane(ts) {
    openThread = ts;
    render();
    $('thread-composer-input').focus();
  }

  function wireComposer(form, input, threadTs) {
    const send = async () => {
      const text = input.value.trim();
      if (!text) return;
      input.value = '';
      await post('/api/compose', { text, threadTs: threadTs() });
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      send();
    });
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        send();
      }
    });
  }

  wireComposer($('composer'), $('composer-input'), () => undefined);
  wireComposer($('thread-composer'), $('thread-composer-input'), () => openThread);
  $('thread-close').addEventListener('click', () => {
    openThread = null;
    render();
  });
  $('user-switcher').addEventListener('change', (ev) => {
    me = ev.target.value;
    localStorage.setItem('playground-user', me);
    dismissed = loadDismissed();
    shownView = '';
    refresh();
  });
  $('alert-menu-button').addEventListener('click', (ev) => {
    ev.stopPropagation();
    const menu = $('alert-menu');
    menu.hidden = !menu.hidden;
    if (!menu.hidden) {
      renderAlertMenu();
      $('alert-filter').focus();
    }
  });
  $('alert-filter').addEventListener('input', renderAlertMenu);
  document.addEventListener('click', (ev) => {
    const menu = $('alert-menu');
    if (!menu.hidden && !menu.contains(ev.target)) menu.hidden = true;
  });
  $('hints').replaceChildren(
    el('span', { class: 'muted' }, 'Try: '),
    ...HINTS.map((h) => el('button', { type: 'button', class: 'hint', onclick: () => { $('composer-input').value = h; $('composer-input').focus(); } }, h)),
  );

  connect();
})();
