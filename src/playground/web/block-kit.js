// Renders Slack message content (mrkdwn, Block Kit, attachments) into DOM nodes.
/* global document, window */
// Everything that comes from a message is put in the page as text (textContent / text nodes), never as HTML.
'use strict';

(function () {
  /** el('div', { class: 'x', dataset: { ts } }, child, 'text', …): text children become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (k === 'value') node.value = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  const EMOJI = {
    rotating_light: '🚨', heavy_multiplication_x: '✖️', arrow_double_up: '⏫', cyclone: '🌀', fire: '🔥', white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️',
    red_circle: '🔴', large_orange_circle: '🟠', large_yellow_circle: '🟡', large_green_circle: '🟢', white_circle: '⚪',
    large_blue_circle: '🔵', black_circle: '⚫', eyes: '👀', mag: '🔍', mag_right: '🔎', hourglass: '⌛',
    hourglass_flowing_sand: '⏳', stopwatch: '⏱️', clock1: '🕐', bell: '🔔', no_bell: '🔕', wrench: '🔧',
    hammer_and_wrench: '🛠️', memo: '📝', clipboard: '📋', pushpin: '📌', question: '❓', grey_question: '❔',
    information_source: 'ℹ️', arrow_right: '➡️', arrows_counterclockwise: '🔄', repeat: '🔁', lock: '🔒', unlock: '🔓',
    bulb: '💡', sos: '🆘', ok: '🆗', new: '🆕', shield: '🛡️', construction: '🚧', zap: '⚡', boom: '💥',
    chart_with_upwards_trend: '📈', chart_with_downwards_trend: '📉', bar_chart: '📊', link: '🔗', book: '📖', crown: '👑',
    books: '📚', mute: '🔇', speaker: '🔈', sleeping: '😴', tada: '🎉', thumbsup: '👍', '+1': '👍', page_facing_up: '📄',
    robot_face: '🤖', busts_in_silhouette: '👥', bust_in_silhouette: '👤', calendar: '📆', gear: '⚙️', ballot_box_with_check: '☑️',
    small_orange_diamond: '🔸', small_blue_diamond: '🔹', heavy_minus_sign: '➖', no_entry: '⛔', skull: '💀',
    traffic_light: '🚥', vertical_traffic_light: '🚦', siren: '🚨', pager: '📟', scroll: '📜', dart: '🎯',
    alarm_clock: '⏰', arrow_up_down: '↕️', arrow_up: '⬆️', arrow_down: '⬇️', arrow_upper_right: '↗️', arrow_lower_right: '↘️',
    chart: '💹', rocket: '🚀', stop_sign: '🛑', octagonal_sign: '🛑', hourglass_done: '⌛', timer_clock: '⏲️',
    spiral_note_pad: '🗒️', file_folder: '📁', open_file_folder: '📂', inbox_tray: '📥', outbox_tray: '📤', package: '📦',
    hammer: '🔨', gear_wheel: '⚙️', key: '🔑', heavy_plus_sign: '➕', exclamation: '❗', heavy_exclamation_mark: '❗',
    point_right: '👉', raised_hand: '✋', thinking_face: '🤔', see_no_evil: '🙈', sweat_smile: '😅', muscle: '💪',
  };

  function emoji(name) {
    return EMOJI[name] || `:${name}:`;
  }

  function unescapeSlack(s) {
    return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }

  // Inline mrkdwn: links and mentions, code, bold, italic, strike, emoji shortcodes, line breaks.
  const INLINE =
    /<([^<>\n]+)>|(https?:\/\/[^\s<>`|]+[^\s<>`|.,;:!?)'"*_~])|`([^`\n]+)`|(?<![\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])|(?<![\w_])_(?!\s)([^_\n]+?)_(?![\w_])|(?<![\w~])~(?!\s)([^~\n]+?)~(?![\w~])|:([a-z0-9_+-]+):|(\n)/g;

  function inline(text, ctx) {
    const out = [];
    let last = 0;
    // matchAll works on a copy of the regex: the recursive calls below must not move this loop's position.
    for (const m of text.matchAll(INLINE)) {
      if (m.index > last) out.push(unescapeSlack(text.slice(last, m.index)));
      last = m.index + m[0].length;
      if (m[1] !== undefined) out.push(angle(m[1], ctx));
      else if (m[2] !== undefined) out.push(link(unescapeSlack(m[2]), unescapeSlack(m[2])));
      else if (m[3] !== undefined) out.push(el('code', {}, unescapeSlack(m[3])));
      else if (m[4] !== undefined) out.push(el('b', {}, inline(m[4], ctx)));
      else if (m[5] !== undefined) out.push(el('i', {}, inline(m[5], ctx)));
      else if (m[6] !== undefined) out.push(el('s', {}, inline(m[6], ctx)));
      else if (m[7] !== undefined) out.push(emoji(m[7]));
      else out.push(el('br'));
    }
    if (last < text.length) out.push(unescapeSlack(text.slice(last)));
    return out;
  }

  /** Slack's clients link bare URLs in messages too. */
  function link(url, label) {
    return el('a', { href: safeHref(url), target: '_blank', rel: 'noopener noreferrer' }, label);
  }

  function safeHref(url) {
    return /^(https?:|mailto:)/i.test(url) ? url : undefined;
  }

  function angle(inner, ctx) {
    const [target, label] = splitOnce(inner, '|');
    if (target.startsWith('@')) {
      const id = target.slice(1);
      return el('span', { class: 'mention' }, `@${label || ctx.userName(id)}`);
    }
    if (target.startsWith('#')) {
      const id = target.slice(1);
      const name = label || (ctx.channelName ? ctx.channelName(id) : id);
      return ctx.openChannel ? el('button', { type: 'button', class: 'mention link-button', onclick: () => ctx.openChannel(id) }, `#${name}`) : el('span', { class: 'mention' }, `#${name}`);
    }
    if (target.startsWith('!subteam^')) return el('span', { class: 'mention' }, `@${label || target.slice(9)}`);
    if (target.startsWith('!')) {
      const special = target.slice(1).split('^')[0];
      if (special === 'date') return unescapeSlack(label || target);
      return el('span', { class: 'mention' }, `@${special}`);
    }
    return link(unescapeSlack(target), unescapeSlack(label || target));
  }

  function splitOnce(s, sep) {
    const i = s.indexOf(sep);
    return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
  }

  /** mrkdwn with ``` blocks and > quotes. */
  function mrkdwn(text, ctx) {
    const frag = el('span', { class: 'mrkdwn' });
    const parts = String(text || '').split('```');
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        frag.append(el('pre', {}, unescapeSlack(part.replace(/^\n/, ''))));
        return;
      }
      // The line break right after a closing ``` belongs to the block.
      const lines = (i > 0 ? part.replace(/^\n/, '') : part).split('\n');
      let buffer = [];
      const flush = () => {
        if (buffer.length) frag.append(...inline(buffer.join(''), ctx));
        buffer = [];
      };
      lines.forEach((line, j) => {
        const quote = /^(&gt;|>)\s?(.*)$/.exec(line);
        if (quote) {
          flush();
          frag.append(el('blockquote', {}, inline(quote[2], ctx)));
        } else {
          buffer.push(line + (j < lines.length - 1 ? '\n' : ''));
        }
      });
      flush();
    });
    return frag;
  }

  function textObject(t, ctx) {
    if (!t) return null;
    if (t.type === 'mrkdwn') return mrkdwn(t.text, ctx);
    return el('span', { class: 'plain' }, t.emoji === false ? t.text : t.text.replace(/:([a-z0-9_+-]+):/g, (_, n) => emoji(n)));
  }

  function button(b, blockId, ctx) {
    return el(
      'button',
      {
        class: `bk-button ${b.style ? `bk-${b.style}` : ''}`,
        type: 'button',
        dataset: { actionId: b.action_id || '' },
        onclick: (ev) => {
          ev.stopPropagation();
          const fire = () => {
            if (b.url) window.open(safeHref(b.url), '_blank', 'noopener');
            ctx.onAction({ type: 'button', actionId: b.action_id, blockId, value: b.value, text: b.text && b.text.text, style: b.style });
          };
          if (b.confirm) ctx.confirm(b.confirm, fire);
          else fire();
        },
      },
      textObject(b.text, ctx),
    );
  }

  function select(s, blockId, ctx, { inView } = {}) {
    const options = s.options || (s.option_groups || []).flatMap((g) => g.options || []);
    const initial = s.initial_option && s.initial_option.value;
    const node = el(
      'select',
      { class: 'bk-select', dataset: { actionId: s.action_id || '', blockId } },
      inView && !initial ? el('option', { value: '' }, s.placeholder ? s.placeholder.text : 'Select an option') : null,
      !inView && !initial ? el('option', { value: '', disabled: true, selected: true }, s.placeholder ? s.placeholder.text : 'Select…') : null,
      options.map((o) => el('option', { value: o.value, selected: o.value === initial }, o.text.text)),
    );
    if (!inView) {
      node.addEventListener('change', () => {
        const o = options.find((x) => x.value === node.value);
        if (o) ctx.onAction({ type: 'static_select', actionId: s.action_id, blockId, selectedOption: { text: { type: 'plain_text', text: o.text.text }, value: o.value } });
      });
    }
    node.options_ = options;
    return node;
  }

  function element(e, blockId, ctx, opts) {
    switch (e.type) {
      case 'button':
        return button(e, blockId, ctx);
      case 'static_select':
        return select(e, blockId, ctx, opts);
      case 'image':
        return el('span', { class: 'bk-image' }, `[image: ${e.alt_text || ''}]`);
      case 'overflow':
        return el('span', { class: 'bk-unsupported' }, '⋯');
      case 'mrkdwn':
      case 'plain_text':
        return textObject(e, ctx);
      default:
        return el('span', { class: 'bk-unsupported' }, `[${e.type}]`);
    }
  }

  function blocks(list, ctx, opts = {}) {
    const root = el('div', { class: 'blocks' });
    (list || []).forEach((b, i) => {
      const blockId = b.block_id || `b${i}`;
      root.append(block(b, blockId, ctx, opts));
    });
    return root;
  }

  function block(b, blockId, ctx, opts) {
    switch (b.type) {
      case 'header':
        return el('div', { class: 'bk-header' }, textObject(b.text, ctx));
      case 'divider':
        return el('hr', { class: 'bk-divider' });
      case 'section':
        return el(
          'div',
          { class: 'bk-section' },
          el(
            'div',
            { class: 'bk-section-main' },
            b.text ? el('div', { class: 'bk-section-text' }, textObject(b.text, ctx)) : null,
            b.fields ? el('div', { class: 'bk-fields' }, b.fields.map((f) => el('div', { class: 'bk-field' }, textObject(f, ctx)))) : null,
          ),
          b.accessory ? el('div', { class: 'bk-accessory' }, element(b.accessory, blockId, ctx, opts)) : null,
        );
      case 'context':
        return el('div', { class: 'bk-context' }, (b.elements || []).map((e) => el('span', { class: 'bk-context-item' }, element(e, blockId, ctx, opts))));
      case 'actions':
        return el('div', { class: 'bk-actions', dataset: { blockId } }, (b.elements || []).map((e) => element(e, blockId, ctx, opts)));
      case 'rich_text':
        return el('div', { class: 'bk-section-text' }, richText(b));
      case 'image':
        return el('div', { class: 'bk-image' }, `[image: ${b.alt_text || ''}]`);
      case 'input':
        return input(b, blockId, ctx, opts);
      default:
        return el('div', { class: 'bk-unsupported' }, `[${b.type} block]`);
    }
  }

  function richText(b) {
    const walk = (e) => {
      if (e.type === 'text') return e.text;
      if (e.type === 'link') return el('a', { href: safeHref(e.url), target: '_blank', rel: 'noopener noreferrer' }, e.text || e.url);
      if (e.type === 'user') return el('span', { class: 'mention' }, `@${e.user_id}`);
      if (e.type === 'emoji') return emoji(e.name);
      if (e.type === 'rich_text_preformatted') return el('pre', {}, (e.elements || []).map(walk));
      if (e.type === 'rich_text_quote') return el('blockquote', {}, (e.elements || []).map(walk));
      if (e.type === 'rich_text_list') return el('ul', {}, (e.elements || []).map((x) => el('li', {}, walk(x))));
      return el('span', {}, (e.elements || []).map(walk));
    };
    return (b.elements || []).map(walk);
  }

  /**
   * An input block of a modal; `opts.errors[blockId]` is shown under it. As in Slack's client, a required input (one
   * not marked `optional`) left empty stops the form before anything is sent; anything else goes to the app, which
   * answers with errors per block.
   */
  function input(b, blockId, ctx, opts) {
    const e = b.element || {};
    const required = b.optional !== true;
    let control;
    if (e.type === 'plain_text_input') {
      const attrs = {
        class: 'bk-input',
        dataset: { blockId, actionId: e.action_id || 'value', type: e.type },
        placeholder: e.placeholder ? e.placeholder.text : undefined,
        maxlength: e.max_length,
        minlength: e.min_length,
        required,
        value: e.initial_value || '',
      };
      control = e.multiline ? el('textarea', { ...attrs, rows: 3 }) : el('input', { ...attrs, type: 'text' });
    } else if (e.type === 'static_select') {
      control = select(e, blockId, ctx, { inView: true });
      control.dataset.type = e.type;
      control.classList.add('bk-input');
      control.required = required;
    } else {
      control = el('div', { class: 'bk-unsupported' }, `[${e.type} input]`);
    }
    const error = opts.errors && opts.errors[blockId];
    return el(
      'label',
      { class: `bk-input-block ${error ? 'has-error' : ''}` },
      el('div', { class: 'bk-input-label' }, b.label ? b.label.text : '', b.optional ? el('span', { class: 'optional' }, ' (optional)') : null),
      control,
      b.hint ? el('div', { class: 'bk-hint' }, b.hint.text) : null,
      error ? el('div', { class: 'bk-error' }, error) : null,
    );
  }

  /**
   * Puts what the person typed or chose back into a re-drawn modal (the app answered with errors, or updated the view):
   * Slack keeps an input's value while its block_id and action_id stay the same.
   */
  function restoreValues(root, values) {
    for (const c of root.querySelectorAll('.bk-input')) {
      const { blockId, actionId, type } = c.dataset;
      const v = values[blockId] && values[blockId][actionId];
      if (!v) continue;
      if (type === 'static_select') {
        if (v.selected_option && (c.options_ || []).some((o) => o.value === v.selected_option.value)) c.value = v.selected_option.value;
      } else if (typeof v.value === 'string') {
        c.value = v.value;
      }
    }
  }

  /** The values of a modal's inputs, shaped like view.state.values. */
  function viewValues(root) {
    const values = {};
    for (const c of root.querySelectorAll('.bk-input')) {
      const { blockId, actionId, type } = c.dataset;
      if (!blockId) continue;
      values[blockId] = values[blockId] || {};
      if (type === 'static_select') {
        const o = (c.options_ || []).find((x) => x.value === c.value);
        values[blockId][actionId] = { type, selected_option: o ? { text: { type: 'plain_text', text: o.text.text, emoji: true }, value: o.value } : null };
      } else {
        values[blockId][actionId] = { type, value: c.value === '' ? null : c.value };
      }
    }
    return values;
  }

  function attachments(list, ctx) {
    return (list || []).map((a) =>
      el(
        'div',
        { class: 'attachment', style: `border-left-color: #${/^[0-9a-f]{6}$/i.test(a.color || '') ? a.color : 'dddddd'}` },
        a.pretext ? el('div', { class: 'att-pretext' }, mrkdwn(a.pretext, ctx)) : null,
        a.title
          ? el('div', { class: 'att-title' }, a.title_link ? el('a', { href: safeHref(a.title_link), target: '_blank', rel: 'noopener noreferrer' }, unescapeSlack(a.title)) : unescapeSlack(a.title))
          : null,
        a.text ? el('div', { class: 'att-text' }, mrkdwn(a.text, ctx)) : null,
        a.fields ? el('div', { class: 'bk-fields' }, a.fields.map((f) => el('div', { class: 'bk-field' }, el('b', {}, f.title || ''), el('br'), mrkdwn(f.value, ctx)))) : null,
        a.blocks ? blocks(a.blocks, ctx) : null,
        a.footer ? el('div', { class: 'att-footer' }, a.footer) : null,
      ),
    );
  }

  // ---- files: a card with a preview of Markdown and text files, and a download link --------------------------------

  /** Inline Markdown (CommonMark's common part): code, bold, italic, links; everything else stays text. */
  function mdInline(text) {
    const out = [];
    const re = /`([^`]+)`|\*\*([^*]+)\*\*|(?<![\w*])\*([^*\n]+)\*(?![\w*])|(?<![\w_])_([^_\n]+)_(?![\w_])|\[([^\]]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>)]+)/g;
    let last = 0;
    for (const m of text.matchAll(re)) {
      if (m.index > last) out.push(text.slice(last, m.index));
      last = m.index + m[0].length;
      if (m[1] !== undefined) out.push(el('code', {}, m[1]));
      else if (m[2] !== undefined) out.push(el('b', {}, mdInline(m[2])));
      else if (m[3] !== undefined) out.push(el('i', {}, mdInline(m[3])));
      else if (m[4] !== undefined) out.push(el('i', {}, mdInline(m[4])));
      else if (m[5] !== undefined) out.push(link(m[6], m[5]));
      else out.push(link(m[7], m[7]));
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  /** A Markdown document as DOM (headings, lists, task lists, tables, quotes, code blocks, paragraphs), built from text nodes. */
  function markdown(text) {
    const root = el('div', { class: 'md' });
    const lines = String(text || '').replace(/\r\n/g, '\n').split('\n');
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (/^```/.test(line)) {
        const code = [];
        i += 1;
        while (i < lines.length && !/^```/.test(lines[i])) code.push(lines[i++]);
        i += 1;
        root.append(el('pre', {}, code.join('\n')));
        continue;
      }
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      if (heading) {
        root.append(el(`h${Math.min(6, heading[1].length + 1)}`, {}, mdInline(heading[2])));
        i += 1;
        continue;
      }
      if (/^\s*[-*+]\s+/.test(line)) {
        const ul = el('ul');
        while (i < lines.length && /^\s*[-*+]\s+/.test(lines[i])) {
          const item = lines[i].replace(/^\s*[-*+]\s+/, '');
          const task = /^\[([ xX])\]\s*(.*)$/.exec(item);
          ul.append(task ? el('li', { class: 'task' }, el('input', { type: 'checkbox', disabled: true, checked: task[1] !== ' ' }), ' ', mdInline(task[2])) : el('li', {}, mdInline(item)));
          i += 1;
        }
        root.append(ul);
        continue;
      }
      if (/^\s*\d+[.)]\s+/.test(line)) {
        const ol = el('ol');
        while (i < lines.length && /^\s*\d+[.)]\s+/.test(lines[i])) ol.append(el('li', {}, mdInline(lines[i++].replace(/^\s*\d+[.)]\s+/, ''))));
        root.append(ol);
        continue;
      }
      if (/^\|.*\|\s*$/.test(line)) {
        const table = el('table');
        while (i < lines.length && /^\|.*\|\s*$/.test(lines[i])) {
          const cells = lines[i].trim().slice(1, -1).split('|').map((c) => c.trim());
          if (!cells.every((c) => /^:?-{2,}:?$/.test(c))) table.append(el('tr', {}, cells.map((c) => el(table.childElementCount === 0 ? 'th' : 'td', {}, mdInline(c)))));
          i += 1;
        }
        root.append(table);
        continue;
      }
      if (/^>\s?/.test(line)) {
        const quote = [];
        while (i < lines.length && /^>\s?/.test(lines[i])) quote.push(lines[i++].replace(/^>\s?/, ''));
        root.append(el('blockquote', {}, mdInline(quote.join(' '))));
        continue;
      }
      if (line.trim() === '') {
        i += 1;
        continue;
      }
      const para = [];
      while (i < lines.length && lines[i].trim() !== '' && !/^(#{1,6}\s|```|\s*[-*+]\s|\s*\d+[.)]\s|\||>)/.test(lines[i])) para.push(lines[i++]);
      if (para.length === 0) para.push(lines[i++]);
      root.append(el('p', {}, mdInline(para.join(' '))));
    }
    return root;
  }

  function humanSize(bytes) {
    return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  /**
   * A shared file as Slack shows it: a card with its title, kind and size, a preview of Markdown or text (loaded with
   * `ctx.loadFile`), and a download link (`ctx.fileUrl`).
   */
  function fileCard(f, ctx) {
    const isMarkdown = f.filetype === 'markdown' || /\.md$/i.test(f.name || '');
    const isText = isMarkdown || f.filetype === 'text' || /^text\//.test(f.mimetype || '');
    const preview = el('div', { class: 'file-preview' }, isText ? el('span', { class: 'muted' }, 'Loading the preview…') : null);
    const card = el(
      'div',
      { class: 'file-card', dataset: { fileId: f.id } },
      el(
        'div',
        { class: 'file-head' },
        el('span', { class: 'file-icon' }, isMarkdown ? '📝' : '📄'),
        el('div', { class: 'file-names' }, el('div', { class: 'file-title' }, f.title || f.name), el('div', { class: 'file-meta' }, `${isMarkdown ? 'Markdown' : f.filetype || 'file'} · ${humanSize(f.size || 0)} · ${f.name}`)),
        el('a', { class: 'file-download', href: ctx.fileUrl(f.id, true), download: f.name || 'file' }, 'Download'),
      ),
      isText ? preview : null,
    );
    if (isText) {
      ctx.loadFile(f.id).then(
        (text) => {
          const body = isMarkdown ? markdown(text) : el('pre', {}, text);
          const toggle = el('button', { type: 'button', class: 'link-button file-toggle' }, 'Show all');
          toggle.addEventListener('click', () => {
            preview.classList.toggle('expanded');
            toggle.textContent = preview.classList.contains('expanded') ? 'Show less' : 'Show all';
          });
          preview.replaceChildren(body, toggle);
        },
        (err) => preview.replaceChildren(el('span', { class: 'muted' }, `No preview: ${err.message}`)),
      );
    }
    return card;
  }

  window.BlockKit = { el, mrkdwn, markdown, blocks, attachments, textObject, viewValues, restoreValues, emoji, fileCard };
})();
