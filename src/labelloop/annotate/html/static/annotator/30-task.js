  // ------------------------------------------------------------------ task view
  function optionsFor(q, t, order) {
    const out = [];
    if (q.options_from_candidates) order.forEach(function (cid, i) { out.push({ value: cid, text: 'Answer ' + letter(i) }); });
    for (const o of q.options || []) out.push({ value: o.value, text: o.label !== null && o.label !== undefined ? o.label : o.value, desc: o.description });
    return out;
  }
  function rankItems(q, t) { return optionsFor(q, t, orderFor(t)); }
  function valueText(q, v, t, order) {
    const name = function (x) { const i = order.indexOf(x); if (i >= 0) return 'Answer ' + letter(i); const o = (q.options || []).find(function (o) { return o.value === x; }); return o ? (o.label || o.value) : String(x); };
    if (q.per_candidate && q.type !== 'span' && v && typeof v === 'object') {
      return order.filter(function (c) { return c in v; }).map(function (c) { return letter(order.indexOf(c)) + ': ' + valueText(Object.assign({}, q, { per_candidate: false }), v[c], t, order); }).join(', ');
    }
    if (q.type === 'ranking' && Array.isArray(v)) return v.map(function (x) { return Array.isArray(x) ? x.map(name).join(' = ') : name(x); }).join(' > ');
    if (q.type === 'span' && Array.isArray(v)) return v.length + ' span(s)';
    if (Array.isArray(v)) return v.map(name).join(', ');
    if (q.type === 'single_choice') return name(v);
    return String(v);
  }
  function promptText(t) {
    for (let i = t.p.length - 1; i >= 0; i--) if (t.p[i][0] === 'user') return t.p[i][1];
    return t.p.map(function (m) { return m[1]; }).join('\n\n');
  }
  function spanFieldsOf(q, t) {
    const f = q.fields && q.fields.length ? q.fields : ['prompt', 'candidates'];
    const out = [];
    for (const name of f) {
      if (name === 'prompt') out.push('prompt');
      else if (name === 'candidates') for (const c of t.c) out.push('candidates.' + c[0]);
      else if (name.startsWith('candidates.')) out.push(name);
    }
    return out;
  }
  function spanTargets(t) {
    const set = new Set();
    for (const q of QS) if (q.type === 'span') for (const f of spanFieldsOf(q, t)) set.add(f);
    return set;
  }
  function fieldText(t, field) {
    if (field === 'prompt') return promptText(t);
    const c = t.c.find(function (c) { return 'candidates.' + c[0] === field; });
    return c ? c[1] : '';
  }
  // Long texts are folded: laying out hundreds of thousands of characters freezes the page, and nobody reads
  // them at once. The first FOLD characters show, and a button shows the rest (remembered per task and field).
  const FOLD = 4000;
  const OPEN = new Set();
  function foldAt(text, n) { const c = text.charCodeAt(n - 1); return c >= 0xD800 && c <= 0xDBFF ? n - 1 : n; }
  function clip(text, n) { return text.length > n ? text.slice(0, foldAt(text, n)) + '…' : text; }
  function thousands(n) { return String(n).replace(/\B(?=(\d{3})+$)/g, ','); }
  function textBlock(text, asMarkdown, spanField, key) {
    text = String(text);
    const fold = text.length > FOLD && !OPEN.has(key) ? foldAt(text, FOLD) : text.length;
    const shown = fold < text.length ? text.slice(0, fold) : text;
    let el;
    if (spanField) {
      el = h('div', { class: 'plain spanable', 'data-field': spanField });
      el.append(shown); el._shown = fold;
    } else if (asMarkdown) { el = h('div', { class: 'md' }); el.append(md(shown, true)); }
    else el = h('div', { class: 'plain', text: shown });
    if (fold === text.length) return el;
    return h('div', { class: 'folded' }, el, h('div', { class: 'fold-bar' },
      h('span', { class: 'muted', text: '… ' + thousands(text.length - fold) + ' more characters ' }),
      h('button', { type: 'button', class: 'show-all', onclick: function () { OPEN.add(key); renderTask(); } }, 'Show all')));
  }

  function renderTask() {
    const main = byId('task');
    const t = T[S.cur];
    if (!t) { main.replaceChildren(h('p', { class: 'muted loading', text: N ? 'Loading task ' + (S.cur + 1) + '…' : 'This file has no tasks.' })); return; }
    if (shownIdx !== S.cur) {
      flushTime(); shownIdx = S.cur; shownAt = performance.now(); active = 0; rankBuild = null;
      if (mainTop > 0) { byId('main').scrollTop = 0; mainTop = 0; }  // before any DOM change: no forced layout
    }
    const order = orderFor(t);
    const targets = HAS_SPANS ? spanTargets(t) : new Set();
    const parts = [h('div', { class: 'task-head', id: 'task-head' })];
    const sug = suggestionBlock(t, order);
    if (sug) parts.push(sug);
    for (const f of FIELDS) {
      const title = f.title;
      if (f.source === 'prompt') {
        if (!t.p.length) continue;
        const blk = h('section', { class: 'block prompt', 'aria-label': 'Prompt' }, h('h3', { text: title || 'Prompt' }));
        const hasUser = t.p.some(function (m) { return m[0] === 'user'; });
        let lastUser = -1; t.p.forEach(function (m, i) { if (m[0] === 'user') lastUser = i; });
        if (targets.has('prompt') && !hasUser) blk.append(textBlock(promptText(t), false, 'prompt', t.id + '\u0000prompt'));
        else t.p.forEach(function (m, i) {
          blk.append(h('div', { class: 'turn role-' + String(m[0]).replace(/[^a-z]/gi, '') }, h('div', { class: 'role', text: m[0] }),
            textBlock(m[1], f.markdown !== false, (targets.has('prompt') && i === lastUser) ? 'prompt' : null, t.id + '\u0000p' + i)));
        });
        parts.push(blk);
      } else if (f.source === 'candidates') {
        if (!t.c.length) continue;
        const grid = h('div', { class: 'cands' + (t.c.length === 2 ? ' two' : '') });
        order.forEach(function (cid, i) {
          const c = t.c.find(function (c) { return c[0] === cid; });
          const field = 'candidates.' + cid;
          grid.append(h('section', { class: 'block cand', 'data-cand': cid, 'aria-label': 'Answer ' + letter(i) },
            h('h3', null, h('span', { text: (title ? title + ' ' : 'Answer ') + letter(i) })),
            h('div', { class: 'body' }, textBlock(c[1], f.markdown !== false, targets.has(field) ? field : null, t.id + '\u0000' + field))));
        });
        parts.push(grid);
      } else if (t.f && t.f[f.name] !== undefined) {
        parts.push(h('section', { class: 'block field' }, h('h3', { text: title || f.name }), textBlock(t.f[f.name], f.markdown !== false, null, t.id + '\u0000f.' + f.name)));
      }
    }
    parts.push(h('section', { class: 'block questions', id: 'questions', 'aria-label': 'Questions' }));
    main.replaceChildren.apply(main, parts);
    renderHead(); renderQuestions(); renderList(); scrollListTo(S.cur);
    if (window.__llFirstTaskAt === undefined) {
      window.__llFirstTaskAt = performance.now();
      document.documentElement.setAttribute('data-first-task', '1');
    }
  }
  function renderHead() {
    const head = byId('task-head'); const t = T[S.cur]; if (!head || !t) return;
    const st = ST[S.cur]; const r = R.get(t.id);
    const reason = r && (st === 4 ? r.flag : st === 3 ? r.skip : '');
    head.replaceChildren(
      h('span', { class: 'muted', text: 'Task ' + (S.cur + 1) + ' of ' + N }),
      h('span', { class: 'tid', id: 'task-id', text: t.id }),
      h('span', { class: 'badge s' + st, id: 'task-status', text: STATUS_NAMES[st] + (reason ? ': ' + reason : '') }),
      h('span', { class: 'nav' },
        h('button', { type: 'button', id: 'btn-prev', title: 'Previous (←)', onclick: function () { step(-1); } }, '← Prev'),
        h('button', { type: 'button', id: 'btn-skip', title: 'Skip (s)', onclick: skipTask }, 'Skip'),
        h('button', { type: 'button', id: 'btn-flag', title: 'Flag (f)', class: st === 4 ? 'on' : null, onclick: flagTask }, st === 4 ? 'Unflag' : 'Flag'),
        h('button', { type: 'button', id: 'btn-undo', title: 'Undo (z)', disabled: !UNDO.length, onclick: undo }, 'Undo'),
        h('button', { type: 'button', id: 'btn-redo', title: 'Redo (y)', disabled: !REDO.length, onclick: redo }, 'Redo'),
        h('button', { type: 'button', id: 'btn-next', class: 'primary', title: 'Next (→)', onclick: function () { step(1); } }, 'Next →')));
  }
  function suggestionBlock(t, order) {
    if (!META.show_predictions || !t.s || !t.s.length) return null;
    const blk = h('section', { class: 'block suggest', id: 'suggestion', 'aria-label': 'Suggestion' });
    t.s.forEach(function (s, i) {
      const items = h('ul');
      for (const q of QS) if (s.v && s.v[q.name] !== undefined && s.v[q.name] !== null) items.append(h('li', null, h('b', { text: (q.title || q.name) + ': ' }), clip(valueText(q, s.v[q.name], t, order), FOLD)));
      blk.append(h('div', { class: 'sug' },
        h('div', null, h('b', { text: 'Suggestion' + (i === 0 ? ' (press a to accept)' : '') }), ' from ', h('span', { text: s.by }),
          s.score !== null && s.score !== undefined ? h('span', { class: 'muted', text: ' · score ' + (Math.round(s.score * 1000) / 1000) }) : null),
        items,
        h('button', { type: 'button', class: 'accept', onclick: function () { accept(i); } }, 'Accept')));
    });
    return blk;
  }
  function accept(i) {
    const t = T[S.cur]; const s = t.s && t.s[i || 0]; if (!s || !META.show_predictions) return;
    change(S.cur, function (r) {
      r.skip = null;
      for (const q of QS) if (s.v && s.v[q.name] !== undefined && s.v[q.name] !== null) r.values[q.name] = clone(s.v[q.name]);
    });
  }

