  // ------------------------------------------------------------------ questions
  function renderQuestions() {
    const box = byId('questions'); const t = T[S.cur]; if (!box || !t) return;
    const order = orderFor(t);
    rows = [];
    const kids = [];
    const rec = R.get(t.id); const vals = rec ? rec.values || {} : {};
    QS.forEach(function (q) {
      if (q._parent && !(q.per_candidate ? order.some(function (cid) { return activeFor(q, vals, cid); }) : activeFor(q, vals, null))) return;
      const el = h('div', { class: q._parent ? 'q followup' : 'q', 'data-q': q.name });
      el.append(h('div', { class: 'qt' }, q.title || q.name, q.required ? h('span', { class: 'req', title: 'required', text: ' *' }) : null));
      if (q.description) { const d = h('div', { class: 'qd muted md' }); d.append(md(q.description, false)); el.append(d); }
      if (q.per_candidate && q.type !== 'span') {
        order.forEach(function (cid, i) {
          if (!activeFor(q, vals, cid)) return;
          const sub = h('div', { class: 'subrow', 'data-cand': cid }, h('span', { class: 'lab', text: 'Answer ' + letter(i) }));
          widget(q, cid, t, order, sub);
          el.append(sub);
        });
      } else widget(q, null, t, order, el);
      if (q.type === 'rating' && q.rubric && q.rubric.length) {
        el.append(h('ul', { class: 'rubric' }, q.rubric.map(function (lv) {
          return h('li', null, h('b', { text: String(lv.value) }), ' ', lv.label ? h('strong', { text: lv.label }) : null, lv.description ? ' — ' + lv.description : '');
        })));
      }
      kids.push(el);
    });
    box.replaceChildren.apply(box, kids);
    if (active >= rows.length) active = Math.max(0, rows.length - 1);
    markActive();
  }
  function addRow(q, cid, el, handlers) {
    const i = rows.length;
    rows.push(Object.assign({ q: q, cid: cid, el: el }, handlers));
    el.addEventListener('pointerdown', function () { if (active !== i) { active = i; markActive(); } });
  }
  function markActive() {
    rows.forEach(function (r, i) { const target = r.cid !== null ? r.el : r.el.closest('.q'); target.classList.toggle('active', i === active); });
  }
  function choiceButtons(opts, isOn, onPick) {
    return h('div', { class: 'opts' }, opts.map(function (o, i) {
      const on = isOn(o.value);
      const hint = i < 9 && !(typeof o.value === 'number' && o.value === i + 1) ? h('span', { class: 'k', text: String(i + 1) }) : null;
      return h('button', { type: 'button', class: on ? 'on' : null, 'aria-pressed': on ? 'true' : 'false', 'data-value': o.value, title: o.desc || null,
        onclick: function () { onPick(o.value); } }, hint, o.text);
    }));
  }
  function ratingOptions(q) {
    if (q.rubric && q.rubric.length) return q.rubric.map(function (lv) { return { value: lv.value, text: lv.label ? lv.value + ' ' + lv.label : String(lv.value), desc: lv.description }; });
    const out = []; const step = q.step || 1;
    for (let v = q.min, k = 0; v <= q.max + 1e-9 && k < 101; k++, v = q.min + k * step) out.push({ value: Math.round(v * 1e9) / 1e9, text: String(Math.round(v * 1e9) / 1e9) });
    return out;
  }
  function widget(q, cid, t, order, parent) {
    const cur = getValue(q, cid);
    const target = parent;
    if (q.type === 'single_choice') {
      const opts = optionsFor(q, t, order);
      const pick = function (v) { setValue(q, cid, cur === v ? undefined : v); };
      parent.append(choiceButtons(opts, function (v) { return cur === v; }, pick));
      addRow(q, cid, target, { apply: function (n) { if (opts[n]) pick(opts[n].value); }, clear: function () { setValue(q, cid, undefined); } });
    } else if (q.type === 'multi_choice') {
      const opts = optionsFor(q, t, order); const have = Array.isArray(cur) ? cur : [];
      const toggle = function (v) {
        const next = have.indexOf(v) >= 0 ? have.filter(function (x) { return x !== v; }) : opts.map(function (o) { return o.value; }).filter(function (x) { return x === v || have.indexOf(x) >= 0; });
        setValue(q, cid, next.length ? next : undefined);
      };
      parent.append(choiceButtons(opts, function (v) { return have.indexOf(v) >= 0; }, toggle));
      addRow(q, cid, target, { apply: function (n) { if (opts[n]) toggle(opts[n].value); }, clear: function () { setValue(q, cid, undefined); } });
    } else if (q.type === 'rating') {
      const opts = ratingOptions(q);
      if (opts.length <= 11) {
        const pick = function (v) { setValue(q, cid, cur === v ? undefined : v); };
        parent.append(choiceButtons(opts, function (v) { return cur === v; }, pick));
        addRow(q, cid, target, { apply: function (n) { if (opts[n]) pick(opts[n].value); }, clear: function () { setValue(q, cid, undefined); } });
      } else {
        const inp = h('input', { type: 'number', min: q.min, max: q.max, step: q.step || 'any', value: cur === undefined ? null : cur, 'aria-label': q.title || q.name });
        inp.addEventListener('change', function () { const v = inp.value === '' ? undefined : Number(inp.value); setValue(q, cid, v); });
        parent.append(inp);
        addRow(q, cid, target, { apply: function () {}, clear: function () { setValue(q, cid, undefined); }, focus: function () { inp.focus(); } });
      }
    } else if (q.type === 'text') {
      const ta = h('textarea', { 'aria-label': q.title || q.name, 'data-q': q.name, placeholder: q.placeholder || null, maxlength: q.max_length || null });
      ta.value = cur || '';
      let before = null;
      ta.addEventListener('focus', function () { before = R.has(t.id) ? JSON.stringify(R.get(t.id)) : null; });
      ta.addEventListener('input', function () { setValue(q, cid, ta.value === '' ? undefined : ta.value, { quiet: true, noHistory: true }); });
      ta.addEventListener('blur', function () {
        const after = R.has(t.id) ? JSON.stringify(R.get(t.id)) : null;
        if (after !== before) { UNDO.push({ idx: IDX.get(t.id), before: before, after: after }); REDO.length = 0; renderHead(); }
      });
      parent.append(ta);
      addRow(q, cid, target, { apply: function () {}, clear: function () { setValue(q, cid, undefined); }, focus: function () { ta.focus(); } });
    } else if (q.type === 'ranking') {
      rankingWidget(q, cid, t, order, parent, cur, target);
    } else if (q.type === 'span') {
      spanWidget(q, t, order, parent, cur, target);
    }
  }

  // a ranking value: ids best first; where the question allows ties, an item may be a list of ids (a tier, one place)
  function rankFlat(v) { const out = []; (Array.isArray(v) ? v : []).forEach(function (x) { if (Array.isArray(x)) x.forEach(function (y) { out.push(y); }); else out.push(x); }); return out; }
  function rankTied(v) { const out = []; (Array.isArray(v) ? v : []).forEach(function (x) { if (Array.isArray(x)) x.slice(1).forEach(function (y) { out.push(y); }); }); return out; }
  function rankValue(list, tied) {
    const tiers = [];
    list.forEach(function (v, i) { if (i > 0 && tied.indexOf(v) >= 0) tiers[tiers.length - 1].push(v); else tiers.push([v]); });
    return tiers.map(function (t) { return t.length === 1 ? t[0] : t; });
  }
  function rankingWidget(q, cid, t, order, parent, cur, target) {
    const items = optionsFor(q, t, order);
    const byVal = new Map(items.map(function (o) { return [o.value, o]; }));
    const key = q.name + '|' + cid;
    const ties = !!q.ties;
    const building = rankBuild && rankBuild.key === key && rankBuild.task === t.id ? rankBuild.ids : null;
    const flat = rankFlat(cur);
    let list;
    let tied = [];
    if (Array.isArray(cur) && flat.length === items.length && flat.every(function (v) { return byVal.has(v); })) { list = flat; tied = ties ? rankTied(cur) : []; }
    else if (building) { list = building.concat(items.map(function (o) { return o.value; }).filter(function (v) { return building.indexOf(v) < 0; })); tied = (rankBuild.tied || []).slice(); }
    else list = items.map(function (o) { return o.value; });
    const set = Array.isArray(cur) && flat.length === items.length;
    const commit = function (next, nextTied) {
      rankBuild = null;
      const keep = (nextTied || []).filter(function (v) { return next.indexOf(v) > 0; });
      setValue(q, cid, ties ? rankValue(next, keep) : next);
    };
    const ol = h('ol', { class: 'rank' + (set ? '' : ' unset') + (ties ? ' ties' : ''), 'data-q': q.name });
    let dragFrom = null;
    let place = 0;
    list.forEach(function (v, i) {
      const o = byVal.get(v);
      const placed = set || (building && i < building.length);
      const isTied = ties && i > 0 && tied.indexOf(v) >= 0;
      if (!isTied) place += 1;
      const li = h('li', { draggable: 'true', tabindex: '0', 'data-value': v, class: isTied ? 'tied' : null, 'data-place': placed ? String(place) : null },
        h('span', { class: 'pos', text: placed ? place + (isTied ? '=' : '.') : '–' }), h('span', { class: 'it', text: o ? o.text : v }),
        ties && i > 0 ? h('button', { type: 'button', title: 'Same place as the answer above (key =)', 'aria-label': 'Same place as the answer above', 'aria-pressed': isTied ? 'true' : 'false', class: 'tie' + (isTied ? ' on' : ''), onclick: function () { toggleTie(i); } }, '=') : null,
        h('button', { type: 'button', title: 'Move up', 'aria-label': 'Move up', class: 'up', onclick: function () { move(i, i - 1); } }, '▲'),
        h('button', { type: 'button', title: 'Move down', 'aria-label': 'Move down', class: 'down', onclick: function () { move(i, i + 1); } }, '▼'));
      li.addEventListener('keydown', function (e) {
        if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
          e.preventDefault(); e.stopPropagation();
          const to = i + (e.key === 'ArrowUp' ? -1 : 1); move(i, to, true);
        } else if (ties && e.key === '=' && !e.ctrlKey && !e.metaKey) {
          e.preventDefault(); e.stopPropagation(); toggleTie(i, true);
        }
      });
      li.addEventListener('dragstart', function (e) { dragFrom = i; li.classList.add('dragging'); e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', String(i)); });
      li.addEventListener('dragend', function () { li.classList.remove('dragging'); });
      li.addEventListener('dragover', function (e) { e.preventDefault(); li.classList.add('over'); });
      li.addEventListener('dragleave', function () { li.classList.remove('over'); });
      li.addEventListener('drop', function (e) {
        e.preventDefault(); li.classList.remove('over');
        const from = dragFrom !== null ? dragFrom : parseInt(e.dataTransfer.getData('text/plain'), 10);
        if (!isNaN(from)) move(from, i);
      });
      ol.append(li);
    });
    function refocusAt(to) { const el = byId('questions').querySelector('ol.rank[data-q="' + CSS.escape(q.name) + '"] li:nth-child(' + (to + 1) + ')'); if (el) el.focus(); }
    function move(from, to, refocus) {
      if (to < 0 || to >= list.length || from === to) return;
      const next = list.slice(); const x = next.splice(from, 1)[0]; next.splice(to, 0, x);
      commit(next, tied.filter(function (v) { return v !== x; }));
      if (refocus) refocusAt(to);
    }
    // put answer i in the same place (tier) as the one above it, or take it out again
    function toggleTie(i, refocus) {
      if (!ties || i < 1) return;
      const v = list[i];
      commit(list.slice(), tied.indexOf(v) >= 0 ? tied.filter(function (x) { return x !== v; }) : tied.concat([v]));
      if (refocus) refocusAt(i);
    }
    parent.append(ol);
    if (!set) parent.append(h('div', { class: 'opts' }, h('button', { type: 'button', class: 'keep', onclick: function () { commit(list.slice(), tied); } }, 'Keep this order')));
    addRow(q, cid, target, {
      apply: function (n) {
        const o = items[n]; if (!o) return;
        let ids = building && !set ? building.slice() : [];
        let nextTied = building && !set ? (rankBuild.tied || []).slice() : [];
        if (ids.indexOf(o.value) >= 0) return;
        if (ties && rankBuild && rankBuild.key === key && rankBuild.pendingTie && ids.length) nextTied.push(o.value);
        ids.push(o.value);
        if (ids.length >= items.length - 1) {
          const rest = items.map(function (x) { return x.value; }).filter(function (v) { return ids.indexOf(v) < 0; });
          commit(ids.concat(rest), nextTied);
        } else {
          if (set) { rankBuild = { key: key, task: t.id, ids: ids, tied: nextTied }; setValue(q, cid, undefined); return; }
          rankBuild = { key: key, task: t.id, ids: ids, tied: nextTied }; renderQuestions();
        }
      },
      // '=': the focused answer shares the place above; while placing answers by number, the next one shares the last one's place
      tie: function () {
        if (!ties) return;
        const li = document.activeElement && document.activeElement.closest ? document.activeElement.closest('ol.rank li') : null;
        if (li && li.parentNode === ol) { toggleTie(Array.prototype.indexOf.call(ol.children, li), true); return; }
        if (building && !set) { rankBuild.pendingTie = true; flash('The next answer shares the place of the last one.'); }
      },
      clear: function () { rankBuild = null; setValue(q, cid, undefined); renderQuestions(); },
    });
  }

  function spanWidget(q, t, order, parent, cur, target) {
    const labels = (q.options || []).map(function (o) { return { value: o.value, text: o.label !== null && o.label !== undefined ? o.label : o.value }; });
    const spans = Array.isArray(cur) ? cur : [];
    const allowed = new Set(spanFieldsOf(q, t));
    const label = function (n) {
      const sel = currentSelection(allowed); if (!sel) { flash('Select some text in the prompt or an answer first.'); return; }
      const next = spans.concat([{ field: sel.field, start: sel.start, end: sel.end, label: labels[n].value }]);
      window.getSelection().removeAllRanges();
      setValue(q, null, next);
    };
    parent.append(h('div', { class: 'opts' }, labels.map(function (o, i) {
      return h('button', { type: 'button', 'data-value': o.value, onmousedown: function (e) { e.preventDefault(); }, onclick: function () { label(i); } },
        i < 9 ? h('span', { class: 'k', text: String(i + 1) }) : null, o.text);
    })));
    const fieldName = function (f) { if (f === 'prompt') return 'prompt'; const cid = f.slice(11); const i = order.indexOf(cid); return i >= 0 ? 'Answer ' + letter(i) : f; };
    parent.append(h('ul', { class: 'spans' }, spans.map(function (s, i) {
      const txt = fieldText(t, s.field);
      const a = cpToU16(txt, s.start); const b = cpToU16(txt, s.end);
      const lab = labels.find(function (o) { return o.value === s.label; });
      return h('li', { 'data-span': String(i) }, h('b', { text: lab ? lab.text : s.label }), h('span', { class: 'muted', text: fieldName(s.field) }), h('q', { text: clip(txt.slice(a, b), 300) }),
        h('button', { type: 'button', 'aria-label': 'Remove span', class: 'rm', onclick: function () { setValue(q, null, spans.filter(function (_, j) { return j !== i; })); } }, '×'),
        spanFollowups(q, spans, i));
    })));
    addRow(q, null, target, { apply: function (n) { if (labels[n]) label(n); }, clear: function () { setValue(q, null, undefined); } });
    paintSpans(t);
  }
  // questions about one span (follow-ups of its label), answered in the span's own values
  function spanFollowups(q, spans, i) {
    const opt = (q.options || []).find(function (o) { return o.value === spans[i].label; });
    const asked = opt && opt.followups ? opt.followups : [];
    if (!asked.length) return null;
    const put = function (name, v) {
      const next = spans.map(function (x, j) {
        if (j !== i) return x;
        const vals = Object.assign({}, x.values || {});
        if (v === undefined) delete vals[name]; else vals[name] = v;
        const y = Object.assign({}, x); delete y.values;
        if (Object.keys(vals).length) y.values = vals;
        return y;
      });
      setValue(q, null, next);
    };
    return h('div', { class: 'span-fu' }, asked.map(function (f) {
      const cur = (spans[i].values || {})[f.name];
      const box = h('div', { class: 'fu', 'data-q': f.name }, h('span', { class: 'muted', text: (f.title || f.name) + ' ' }));
      if (f.type === 'single_choice' || f.type === 'multi_choice') {
        const multi = f.type === 'multi_choice'; const have = Array.isArray(cur) ? cur : [];
        box.append(choiceButtons((f.options || []).map(function (o) { return { value: o.value, text: o.label || o.value }; }),
          function (v) { return multi ? have.indexOf(v) >= 0 : cur === v; },
          function (v) {
            if (!multi) { put(f.name, cur === v ? undefined : v); return; }
            const next = have.indexOf(v) >= 0 ? have.filter(function (x) { return x !== v; }) : have.concat([v]);
            put(f.name, next.length ? next : undefined);
          }));
      } else {
        const inp = h('input', { type: 'text', 'aria-label': f.title || f.name, value: cur === undefined ? null : String(cur) });
        inp.addEventListener('change', function () { put(f.name, inp.value === '' ? undefined : (f.type === 'rating' ? Number(inp.value) : inp.value)); });
        box.append(inp);
      }
      return box;
    }));
  }
  function currentSelection(allowed) {
    const sel = window.getSelection(); if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
    const range = sel.getRangeAt(0);
    const el = (range.startContainer.nodeType === 1 ? range.startContainer : range.startContainer.parentElement).closest('.spanable');
    if (!el || !el.contains(range.endContainer) || !allowed.has(el.getAttribute('data-field'))) return null;
    const pre = document.createRange(); pre.selectNodeContents(el); pre.setEnd(range.startContainer, range.startOffset);
    const s16 = pre.toString().length; const e16 = s16 + range.toString().length;
    const text = fieldText(T[S.cur], el.getAttribute('data-field'));
    const start = u16ToCp(text, s16); const end = u16ToCp(text, e16);
    return end > start ? { field: el.getAttribute('data-field'), start: start, end: end } : null;
  }
  function paintSpans(t) {
    const all = [];
    for (const q of QS) if (q.type === 'span') {
      const v = (R.get(t.id) || { values: {} }).values[q.name];
      const labels = new Map((q.options || []).map(function (o) { return [o.value, o.label || o.value]; }));
      if (Array.isArray(v)) for (const s of v) all.push({ field: s.field, start: s.start, end: s.end, label: labels.get(s.label) || s.label });
    }
    document.querySelectorAll('#task .spanable').forEach(function (el) {
      const field = el.getAttribute('data-field'); const full = fieldText(t, field);
      const text = el._shown !== undefined && el._shown < full.length ? full.slice(0, el._shown) : full;  // a folded text: its shown part
      const mine = all.filter(function (s) { return s.field === field; });
      if (!mine.length) { el.replaceChildren(text); return; }
      const cuts = new Set([0, text.length]);
      const u = [];
      for (const s of mine) {
        const a = Math.min(cpToU16(full, s.start), text.length); const b = Math.min(cpToU16(full, s.end), text.length);
        if (b > a) { cuts.add(a); cuts.add(b); u.push({ a: a, b: b, label: s.label }); }
      }
      const pts = Array.from(cuts).sort(function (x, y) { return x - y; });
      const kids = [];
      for (let i = 0; i + 1 < pts.length; i++) {
        const a = pts[i]; const b = pts[i + 1]; const seg = text.slice(a, b);
        const cover = u.filter(function (s) { return s.a <= a && s.b >= b; });
        if (!cover.length) { kids.push(seg); continue; }
        const endsHere = cover.filter(function (s) { return s.b === b; });
        const m = h('mark', { class: 'span', title: cover.map(function (s) { return s.label; }).join(', ') }, seg);
        if (endsHere.length) m.setAttribute('data-label', endsHere.map(function (s) { return s.label; }).join(', '));
        kids.push(m);
      }
      el.replaceChildren.apply(el, kids);
    });
  }
  function flash(msg) { const el = byId('save-state'); el.textContent = msg; setTimeout(function () { setSaveState(storageBroken ? 'x' : 'saved'); }, 2500); }

