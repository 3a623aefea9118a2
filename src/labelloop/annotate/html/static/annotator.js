/* labelloop offline annotator. Everything from the data is rendered as text or through md(),
   which builds DOM nodes and never parses HTML. Values are stored in candidate ids, never positions. */
(function () {
  'use strict';

  // ------------------------------------------------------------------ small helpers
  function byId(id) { return document.getElementById(id); }
  function h(tag, props) {
    const el = document.createElement(tag);
    if (props) {
      for (const k of Object.keys(props)) {
        const v = props[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (let i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { for (const x of c) add(el, x); return; }
    el.append(c instanceof Node ? c : String(c));
  }
  function nowIso() { return new Date().toISOString(); }
  function letter(i) { let s = ''; i += 1; while (i > 0) { const m = (i - 1) % 26; s = String.fromCharCode(65 + m) + s; i = Math.floor((i - 1) / 26); } return s; }
  function clone(x) { return x === undefined ? undefined : JSON.parse(JSON.stringify(x)); }

  // Deterministic shuffle: FNV-1a over UTF-16 code units seeds mulberry32 (mirrored in shuffle.py).
  function fnv1a(str) { let x = 0x811c9dc5; for (let i = 0; i < str.length; i++) { x ^= str.charCodeAt(i); x = Math.imul(x, 0x01000193); } return x >>> 0; }
  function mulberry32(a) {
    return function () {
      a = (a + 0x6D2B79F5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function shuffled(ids, key) {
    const out = ids.slice(); const rnd = mulberry32(fnv1a(key));
    for (let i = out.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); const t = out[i]; out[i] = out[j]; out[j] = t; }
    return out;
  }
  // Python counts characters in code points, JS strings in UTF-16 units.
  function u16ToCp(text, u) { let cp = 0; for (let i = 0; i < u && i < text.length; i++) { const c = text.charCodeAt(i); if (c >= 0xD800 && c <= 0xDBFF && i + 1 < u) i++; cp++; } return cp; }
  function cpToU16(text, cp) { let i = 0; while (cp > 0 && i < text.length) { const c = text.charCodeAt(i); i += (c >= 0xD800 && c <= 0xDBFF) ? 2 : 1; cp--; } return Math.min(i, text.length); }

  // ------------------------------------------------------------------ Markdown, as DOM nodes only
  // Linear time whatever the text: inline syntax is one left-to-right scan (below), block patterns are
  // anchored with nothing that can backtrack over a line twice, and quotes nest at most QUOTE_DEPTH deep.
  const SAFE_URL = /^(https?:\/\/|mailto:)[^\s\u0000-\u001f]*$/i;
  const OPENERS = /[`*_[]/g;
  const URL_END = /[)\s]/g;
  const ALNUM = /[A-Za-z0-9]/;
  const SPACE = /\s/;
  const QUOTE_DEPTH = 8;
  // next(key, from): where the next closer is at or after `from` (-1: none). Each answer is remembered with
  // the stretch it proved empty, so a run of openers that never close ("[](" × 30,000) costs one search, not one each.
  function closers(text) {
    const memo = {};
    return function (key, from) {
      const m = memo[key];
      if (m && from >= m.from && (m.at < 0 || from <= m.at)) return m.at;
      let at;
      if (key === 'url') { URL_END.lastIndex = from; const r = URL_END.exec(text); at = r ? r.index : -1; } else at = text.indexOf(key, from);
      memo[key] = { from: from, at: at };
      return at;
    };
  }
  // The same syntax as before (code, **strong**, __strong__, *em*, _em_, [text](url)), each closer being the next
  // occurrence of its character, since no content may hold it; links only to http(s) and mailto, others stay text.
  function inline(text, parent) {
    const n = text.length; const next = closers(text);
    const open = new RegExp(OPENERS.source, 'g');  // a fresh lastIndex: inline() recurses
    let last = 0; let i = 0; let m;
    const emit = function (node, from, to) { if (from > last) parent.append(text.slice(last, from)); parent.append(node); last = i = to; };
    const edge = function (s) { return s.length > 0 && !SPACE.test(s[0]) && !SPACE.test(s[s.length - 1]); };
    while (i < n) {
      open.lastIndex = i;
      if ((m = open.exec(text)) === null) break;
      i = m.index; const c = text[i]; let j;
      if (c === '`') {
        j = next('`', i + 1);
        if (j > i + 1) { emit(h('code', { text: text.slice(i + 1, j) }), i, j + 1); continue; }
      } else if (c === '*' || c === '_') {
        if (text[i + 1] === c) {
          j = next(c, i + 2);
          if (j > i + 2 && text[j + 1] === c) { const b = h('strong'); inline(text.slice(i + 2, j), b); emit(b, i, j + 2); continue; }
        }
        if (c === '*' || !(i > 0 && ALNUM.test(text[i - 1]))) {
          j = next(c, i + 1);
          const body = j > i ? text.slice(i + 1, j) : '';
          if (edge(body) && (c === '*' || !(j + 1 < n && ALNUM.test(text[j + 1])))) { const e = h('em'); inline(body, e); emit(e, i, j + 1); continue; }
        }
      } else {
        j = next(']', i + 1);
        if (j >= 0 && text[j + 1] === '(') {
          const k = next('url', j + 2);
          if (k >= 0 && text[k] === ')') {
            const url = text.slice(j + 2, k);
            if (SAFE_URL.test(url)) {
              const a = h('a', { rel: 'noopener noreferrer nofollow', target: '_blank' });
              a.href = url; inline(text.slice(i + 1, j), a); emit(a, i, k + 1);
            } else emit(document.createTextNode(text.slice(i, k + 1)), i, k + 1);
            continue;
          }
        }
      }
      i++;
    }
    if (last < n) parent.append(text.slice(last));
  }
  function inlineLines(lines, parent, breaks) {
    lines.forEach(function (ln, i) { if (i) parent.append(breaks ? h('br') : ' '); inline(breaks ? ln : ln.trim(), parent); });
  }
  const LIST_RE = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+([\s\S]*)$/;
  const HEAD_RE = /^\s{0,3}(#{1,6})\s/;
  const HR_RE = /^\s{0,3}([-*_]\s*){3,}$/;
  function isBlockStart(ln) { return /^\s{0,3}(```|~~~|#{1,6}\s|>)/.test(ln) || HR_RE.test(ln) || LIST_RE.test(ln); }
  // a heading's text: without the leading spaces and without closing #s and spaces
  function headText(ln, marker) {
    let end = ln.length;
    while (end > marker && SPACE.test(ln[end - 1])) end--;
    while (end > marker && ln[end - 1] === '#') end--;
    while (end > marker && SPACE.test(ln[end - 1])) end--;
    let start = marker;
    while (start < end && SPACE.test(ln[start])) start++;
    return ln.slice(start, end);
  }
  // breaks: keep single line breaks (model answers, poems); off for hand-wrapped guidelines.
  function md(src, breaks, depth) {
    depth = depth || 0;
    const frag = document.createDocumentFragment();
    const lines = String(src).replace(/\r\n?/g, '\n').split('\n');
    let i = 0;
    while (i < lines.length) {
      const ln = lines[i];
      if (!ln.trim()) { i++; continue; }
      const fence = /^\s{0,3}(```+|~~~+)\s*([\w+-]*)/.exec(ln);
      if (fence) {
        const body = []; i++;
        while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
        i++;
        const code = h('code', { text: body.join('\n') });
        if (fence[2]) code.setAttribute('data-lang', fence[2]);
        frag.append(h('pre', null, code)); continue;
      }
      const hd = HEAD_RE.exec(ln);
      if (hd) { const el = h('h' + Math.min(4, hd[1].length + 1)); inline(headText(ln, hd[0].length - 1), el); frag.append(el); i++; continue; }
      if (HR_RE.test(ln)) { frag.append(h('hr')); i++; continue; }
      if (/^\s{0,3}>/.test(ln) && depth < QUOTE_DEPTH) {
        const body = [];
        while (i < lines.length && /^\s{0,3}>/.test(lines[i])) body.push(lines[i++].replace(/^\s{0,3}>\s?/, ''));
        const bq = h('blockquote'); bq.append(md(body.join('\n'), breaks, depth + 1)); frag.append(bq); continue;
      }
      const li = LIST_RE.exec(ln);
      if (li) {
        const ordered = /\d/.test(li[1]);
        const list = h(ordered ? 'ol' : 'ul');
        if (ordered && parseInt(li[1], 10) !== 1) list.setAttribute('start', String(parseInt(li[1], 10)));
        while (i < lines.length) {
          const m = LIST_RE.exec(lines[i]);
          if (!m || /\d/.test(m[1]) !== ordered) break;
          const item = [m[2]]; i++;
          while (i < lines.length && lines[i].trim() && !LIST_RE.test(lines[i]) && /^\s+/.test(lines[i])) item.push(lines[i++].trim());
          const el = h('li'); inlineLines(item, el, breaks); list.append(el);
        }
        frag.append(list); continue;
      }
      const para = [];
      while (i < lines.length && lines[i].trim() && !(para.length && isBlockStart(lines[i]))) para.push(lines[i++]);
      const p = h('p'); inlineLines(para, p, breaks); frag.append(p);
    }
    return frag;
  }

  // ------------------------------------------------------------------ data
  const META = JSON.parse(byId('ll-meta').textContent);
  const SCHEMA = META.schema;
  // follow-up questions of a choice's options come right after it, marked with their parent and option
  function flatQuestions(list, out) {
    for (const q of list) {
      out.push(q);
      if (q.type === 'span') continue;
      for (const o of q.options || []) for (const f of o.followups || []) flatQuestions([Object.assign({}, f, { _parent: q.name, _option: o.value })], out);
    }
    return out;
  }
  const QS = flatQuestions(SCHEMA.questions, []);
  const QBY = new Map(QS.map(function (q) { return [q.name, q]; }));
  function chosen(pq, pv, opt) { return pq.type === 'multi_choice' ? Array.isArray(pv) && pv.indexOf(opt) >= 0 : pv === opt; }
  function activeFor(q, vals, cid) {
    if (!q._parent) return true;
    const pq = QBY.get(q._parent); const raw = vals[pq.name];
    const pv = pq.per_candidate ? (raw && typeof raw === 'object' ? raw[cid] : undefined) : raw;
    return chosen(pq, pv, q._option) && activeFor(pq, vals, cid);
  }
  const FID = META.file_id;
  const PFX = 'labelloop:' + FID + ':';
  const N = META.n_tasks;
  const T = [];                       // tasks, in file order
  const IDX = new Map();              // task id -> index
  const ST = new Uint8Array(N);       // 0 to do, 1 draft, 2 submitted, 3 skipped, 4 flagged
  const R = new Map();                // task id -> result record
  const SPENT = new Map();            // task id -> seconds on screen, before a record exists
  const PIECES = [];                  // search index: lowercase text per chunk
  const COUNTS = [0, 0, 0, 0, 0];
  const STATUS_NAMES = ['to do', 'draft', 'submitted', 'skipped', 'flagged'];
  const HAS_SPANS = QS.some(function (q) { return q.type === 'span'; });
  const FIELDS = SCHEMA.fields || [];
  let chunk = 0;
  let loaded = false;

  const S = { cur: 0, filter: 'all', theme: null, annotator: null, guidelines: null };
  let active = 0;                     // highlighted question row
  let rows = [];                      // rendered question rows: {q, cid, el, apply(n), clear(), focus()}
  let shownIdx = -1;
  let shownAt = 0;
  let rankBuild = null;               // keyboard ranking in progress: {key, ids}
  const UNDO = []; const REDO = [];
  let view = null;                    // Int32Array of task indexes in the sidebar, or null before first filter
  let searchCache = null;
  let storageBroken = false;
  let mainTop = 0;

  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(PFX + key); else localStorage.setItem(PFX + key, value);
      if (storageBroken) { storageBroken = false; byId('banner').hidden = true; }
      setSaveState('saved');
      return true;
    } catch (e) {
      storageBroken = true;
      byId('banner-text').textContent = 'Your browser storage is full or blocked (' + (e && e.name ? e.name : 'error') +
        '): your latest answers are NOT saved in this browser. Export your work now so nothing is lost.';
      byId('banner').hidden = false;
      setSaveState('not saved');
      return false;
    }
  }
  function setSaveState(t) { byId('save-state').textContent = t === 'saved' ? 'Saved' : 'NOT SAVED'; }
  function saveState() { store('state', JSON.stringify(S)); }
  function saveRecord(id) { const r = R.get(id); store('r:' + id, r ? JSON.stringify(r) : null); }

  function loadStored() {
    try {
      const raw = localStorage.getItem(PFX + 'state');
      if (raw) Object.assign(S, JSON.parse(raw));
      const pre = PFX + 'r:';
      for (let i = 0; i < localStorage.length; i++) {
        const k = localStorage.key(i);
        if (k && k.startsWith(pre)) { try { R.set(k.slice(pre.length), JSON.parse(localStorage.getItem(k))); } catch (e) { /* ignore a damaged entry */ } }
      }
    } catch (e) {
      byId('banner-text').textContent = 'This browser does not let the page read its storage (' + e.name + '); work will not be kept after closing. Export before you leave.';
      byId('banner').hidden = false;
    }
  }

  function ingest() {
    const el = byId('ll-d' + chunk);
    if (!el) return false;
    const tasks = JSON.parse(el.textContent);
    el.remove();
    const base = T.length; const parts = []; const offs = new Int32Array(tasks.length + 1); let off = 0;
    for (let j = 0; j < tasks.length; j++) {
      const a = tasks[j]; const idx = base + j;
      const t = { id: a[0], p: a[1], c: a[2], s: a[3] && a[3].length ? a[3] : null, f: a[4] || null };
      T.push(t); IDX.set(t.id, idx);
      const st = statusOf(t, R.get(t.id)); ST[idx] = st; COUNTS[st]++;
      let s = t.id;
      for (const m of t.p) s += '\n' + m[1];
      for (const c of t.c) s += '\n' + c[1];
      s += '\u0000';
      parts.push(s); offs[j] = off; off += s.length;
    }
    offs[tasks.length] = off;
    // one native toLowerCase per chunk; per task only where lower-casing changes a length (e.g. U+0130)
    const raw = parts.join(''); let low = raw.toLowerCase();
    if (low.length !== raw.length) {
      off = 0;
      for (let j = 0; j < parts.length; j++) { let x = parts[j].toLowerCase(); if (x.length !== parts[j].length) x = parts[j]; parts[j] = x; offs[j] = off; off += x.length; }
      offs[parts.length] = off; low = parts.join('');
    }
    PIECES.push({ base: base, str: low, offs: offs });
    chunk++;
    return true;
  }

  // ------------------------------------------------------------------ records and status
  function orderFor(t) {
    const r = R.get(t.id);
    if (r && r.order && r.order.length === t.c.length) return r.order;
    return shuffled(t.c.map(function (c) { return c[0]; }), META.seed + '|' + (S.annotator || '') + '|' + t.id);
  }
  function answered(q, v, t) {
    if (v === undefined || v === null) return false;
    if (q.per_candidate && q.type !== 'span') return t.c.every(function (c) { return answered(Object.assign({}, q, { per_candidate: false }), v[c[0]], t); });
    if (q.type === 'text') return typeof v === 'string' && v.trim() !== '';
    if (q.type === 'ranking') return Array.isArray(v) && v.length === rankItems(q, t).length;
    if (Array.isArray(v)) return q.type === 'span' || v.length > 0;
    return true;
  }
  function statusOf(t, r) {
    if (!r) return 0;
    if (r.flag !== null && r.flag !== undefined) return 4;
    if (r.skip !== null && r.skip !== undefined) return 3;
    const vals = r.values || {};
    if (!Object.keys(vals).length) return 0;
    for (const q of QS) {
      if (!q.required) continue;
      if (!q._parent) { if (!answered(q, vals[q.name], t)) return 1; continue; }
      if (q.per_candidate) {
        const one = Object.assign({}, q, { per_candidate: false }); const m = vals[q.name] || {};
        for (const c of t.c) if (activeFor(q, vals, c[0]) && !answered(one, m[c[0]], t)) return 1;
      } else if (activeFor(q, vals, null) && !answered(q, vals[q.name], t)) return 1;
    }
    return 2;
  }
  function setStatus(idx) {
    const t = T[idx]; const st = statusOf(t, R.get(t.id));
    if (st !== ST[idx]) { COUNTS[ST[idx]]--; COUNTS[st]++; ST[idx] = st; if (S.filter !== 'all') refreshView(true); }
    updateCounts(); renderList();
  }
  function flushTime() {
    if (shownIdx < 0 || !T[shownIdx]) return;
    const t = T[shownIdx]; const now = performance.now();
    const dt = document.visibilityState === 'hidden' ? 0 : (now - shownAt) / 1000;
    shownAt = now;
    const r = R.get(t.id);
    if (r) { r.time_spent_s = Math.round(((r.time_spent_s || 0) + dt) * 1000) / 1000; saveRecord(t.id); } else SPENT.set(t.id, (SPENT.get(t.id) || 0) + dt);
  }
  // Every change goes through here: one undo step, timestamps, autosave, status.
  function change(idx, mutate, opts) {
    const t = T[idx]; const id = t.id;
    flushTime();
    const before = R.has(id) ? JSON.stringify(R.get(id)) : null;
    const r = R.has(id) ? clone(R.get(id)) : { values: {}, flag: null, skip: null, created_at: null, updated_at: null, time_spent_s: 0, order: orderFor(t) };
    const core = function (x) { return JSON.stringify([x.values, x.flag, x.skip]); };
    const prevCore = before === null ? null : core(R.get(id));
    mutate(r);
    cleanValues(r.values);
    if (core(r) === prevCore) return;
    const empty = !Object.keys(r.values).length && r.flag === null && r.skip === null;
    if (empty && before === null) return;
    let after = null;
    if (empty) {
      SPENT.set(id, r.time_spent_s || 0); R.delete(id);
    } else {
      const stamp = nowIso();
      if (!r.created_at) { r.created_at = stamp; r.time_spent_s = Math.round(((SPENT.get(id) || 0)) * 1000) / 1000; SPENT.delete(id); }
      r.updated_at = stamp;
      r.annotator = S.annotator;
      R.set(id, r);
      after = JSON.stringify(r);
    }
    if (!(opts && opts.noHistory)) { UNDO.push({ idx: idx, before: before, after: after }); if (UNDO.length > 500) UNDO.shift(); REDO.length = 0; }
    saveRecord(id); setStatus(idx);
    if (!(opts && opts.quiet)) renderQuestions();
    renderHead();
  }
  function cleanValues(v) {
    for (const q of QS) {  // a follow-up's answer goes when its option is no longer chosen
      if (!q._parent || v[q.name] === undefined) continue;
      if (q.per_candidate) {
        const m = Object.assign({}, v[q.name]);
        for (const cid of Object.keys(m)) if (!activeFor(q, v, cid)) delete m[cid];
        v[q.name] = m;
      } else if (!activeFor(q, v, null)) delete v[q.name];
    }
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x === null || x === undefined || x === '' || (Array.isArray(x) && !x.length) ||
          (typeof x === 'object' && !Array.isArray(x) && !Object.keys(x).length)) delete v[k];
    }
  }
  function setValue(q, cid, v, opts) {
    change(S.cur, function (r) {
      r.skip = null;
      if (q.per_candidate && q.type !== 'span') {
        const m = Object.assign({}, r.values[q.name] || {});
        if (v === undefined) delete m[cid]; else m[cid] = v;
        r.values[q.name] = m;
      } else if (v === undefined) delete r.values[q.name];
      else r.values[q.name] = v;
    }, opts);
  }
  function getValue(q, cid) {
    const r = R.get(T[S.cur].id); if (!r) return undefined;
    const v = r.values[q.name];
    if (q.per_candidate && q.type !== 'span') return v ? v[cid] : undefined;
    return v;
  }
  function applyRecordJson(idx, json) {
    const id = T[idx].id;
    if (json === null) R.delete(id); else R.set(id, JSON.parse(json));
    saveRecord(id); setStatus(idx);
  }
  function undo() {
    const e = UNDO.pop(); if (!e) return;
    flushTime(); REDO.push(e); applyRecordJson(e.idx, e.before); go(e.idx, true);
  }
  function redo() {
    const e = REDO.pop(); if (!e) return;
    flushTime(); UNDO.push(e); applyRecordJson(e.idx, e.after); go(e.idx, true);
  }

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
    if (q.type === 'ranking' && Array.isArray(v)) return v.map(name).join(' > ');
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
      const ta = h('textarea', { 'aria-label': q.title || q.name, 'data-q': q.name });
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

  function rankingWidget(q, cid, t, order, parent, cur, target) {
    const items = optionsFor(q, t, order);
    const byVal = new Map(items.map(function (o) { return [o.value, o]; }));
    const key = q.name + '|' + cid;
    const building = rankBuild && rankBuild.key === key && rankBuild.task === t.id ? rankBuild.ids : null;
    let list;
    if (Array.isArray(cur) && cur.length === items.length && cur.every(function (v) { return byVal.has(v); })) list = cur.slice();
    else if (building) list = building.concat(items.map(function (o) { return o.value; }).filter(function (v) { return building.indexOf(v) < 0; }));
    else list = items.map(function (o) { return o.value; });
    const set = Array.isArray(cur) && cur.length === items.length;
    const commit = function (next) { rankBuild = null; setValue(q, cid, next); };
    const ol = h('ol', { class: 'rank' + (set ? '' : ' unset'), 'data-q': q.name });
    let dragFrom = null;
    list.forEach(function (v, i) {
      const o = byVal.get(v);
      const placed = set || (building && i < building.length);
      const li = h('li', { draggable: 'true', tabindex: '0', 'data-value': v },
        h('span', { class: 'pos', text: placed ? (i + 1) + '.' : '–' }), h('span', { class: 'it', text: o ? o.text : v }),
        h('button', { type: 'button', title: 'Move up', 'aria-label': 'Move up', class: 'up', onclick: function () { move(i, i - 1); } }, '▲'),
        h('button', { type: 'button', title: 'Move down', 'aria-label': 'Move down', class: 'down', onclick: function () { move(i, i + 1); } }, '▼'));
      li.addEventListener('keydown', function (e) {
        if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
          e.preventDefault(); e.stopPropagation();
          const to = i + (e.key === 'ArrowUp' ? -1 : 1); move(i, to, true);
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
    function move(from, to, refocus) {
      if (to < 0 || to >= list.length || from === to) return;
      const next = list.slice(); const x = next.splice(from, 1)[0]; next.splice(to, 0, x);
      commit(next);
      if (refocus) { const el = byId('questions').querySelector('ol.rank[data-q="' + CSS.escape(q.name) + '"] li:nth-child(' + (to + 1) + ')'); if (el) el.focus(); }
    }
    parent.append(ol);
    if (!set) parent.append(h('div', { class: 'opts' }, h('button', { type: 'button', class: 'keep', onclick: function () { commit(list.slice()); } }, 'Keep this order')));
    addRow(q, cid, target, {
      apply: function (n) {
        const o = items[n]; if (!o) return;
        let ids = building && !set ? building.slice() : [];
        if (ids.indexOf(o.value) >= 0) return;
        ids.push(o.value);
        if (ids.length >= items.length - 1) {
          const rest = items.map(function (x) { return x.value; }).filter(function (v) { return ids.indexOf(v) < 0; });
          commit(ids.concat(rest));
        } else {
          if (set) { rankBuild = { key: key, task: t.id, ids: ids }; setValue(q, cid, undefined); return; }
          rankBuild = { key: key, task: t.id, ids: ids }; renderQuestions();
        }
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

  // ------------------------------------------------------------------ navigation
  function go(idx, force) {
    if (idx < 0 || idx >= N) return;
    if (idx === S.cur && !force) return;
    flushTime();
    S.cur = idx; saveState(); renderTask();
  }
  function viewPos(idx) {
    if (!view) return -1;
    let lo = 0; let hi = view.length - 1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (view[mid] === idx) return mid; if (view[mid] < idx) lo = mid + 1; else hi = mid - 1; }
    return -(lo + 1);
  }
  function step(d) {
    if (view && view.length && (searchCache && searchCache.q || S.filter !== 'all')) {
      let p = viewPos(S.cur);
      if (p >= 0) p += d; else p = d > 0 ? -p - 1 : -p - 2;
      if (p >= 0 && p < view.length) go(view[p]);
      return;
    }
    const n = S.cur + d; if (n >= 0 && n < T.length) go(n);
  }
  function nextTodo() {
    for (let k = 1; k <= T.length; k++) { const i = (S.cur + k) % T.length; if (ST[i] <= 1) { go(i); return; } }
    flash('Every task is answered, skipped or flagged.');
  }
  function reasonModal(title, done) {
    const m = byId('modal-reason'); byId('reason-title').textContent = title;
    const inp = byId('reason-input'); inp.value = '';
    m.hidden = false; inp.focus();
    const finish = function (ok) { inp.blur(); m.hidden = true; byId('reason-ok').onclick = null; byId('reason-cancel').onclick = null; inp.onkeydown = null; if (ok) done(inp.value.trim()); };
    byId('reason-ok').onclick = function () { finish(true); };
    byId('reason-cancel').onclick = function () { finish(false); };
    inp.onkeydown = function (e) { if (e.key === 'Enter') { e.preventDefault(); finish(true); } else if (e.key === 'Escape') { e.preventDefault(); finish(false); } e.stopPropagation(); };
  }
  function flagTask() {
    if (!T[S.cur]) return;
    if (ST[S.cur] === 4) { change(S.cur, function (r) { r.flag = null; }); return; }
    reasonModal('Flag task ' + T[S.cur].id, function (reason) { change(S.cur, function (r) { r.flag = reason; }); });
  }
  function skipTask() {
    if (!T[S.cur]) return;
    reasonModal('Skip task ' + T[S.cur].id, function (reason) { change(S.cur, function (r) { r.skip = reason; }); step(1); });
  }

  // ------------------------------------------------------------------ sidebar: filters, search, virtual list
  const ROW_H = 46;
  const FILTERS = { all: null, todo: [0, 1], done: [2], flagged: [4], skipped: [3] };
  function search(q) {
    const terms = q.toLowerCase().split(/\s+/).filter(Boolean).sort(function (a, b) { return b.length - a.length; });
    if (!terms.length) return null;
    const keep = function (idx) {
      const p = pieceOf(idx); const j = idx - p.base; const s = p.str.slice(p.offs[j], p.offs[j + 1]);
      for (let k = 1; k < terms.length; k++) if (s.indexOf(terms[k]) < 0) return false;
      return true;
    };
    if (searchCache && searchCache.complete === loaded && searchCache.n === T.length && searchCache.res && q.toLowerCase().startsWith(searchCache.q.toLowerCase()) && searchCache.q) {
      const prev = searchCache.res; const out = [];
      for (let k = 0; k < prev.length; k++) {
        const idx = prev[k]; const p = pieceOf(idx); const j = idx - p.base; const s = p.str.slice(p.offs[j], p.offs[j + 1]);
        let ok = true; for (const term of terms) if (s.indexOf(term) < 0) { ok = false; break; }
        if (ok) out.push(idx);
      }
      return Int32Array.from(out);
    }
    const out = []; const first = terms[0];
    for (const p of PIECES) {
      let pos = p.str.indexOf(first);
      while (pos >= 0) {
        let lo = 0; let hi = p.offs.length - 2;
        while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (p.offs[mid] <= pos) lo = mid; else hi = mid - 1; }
        const idx = p.base + lo;
        if (keep(idx)) out.push(idx);
        pos = p.str.indexOf(first, p.offs[lo + 1]);
      }
    }
    return Int32Array.from(out);
  }
  function pieceOf(idx) {
    let lo = 0; let hi = PIECES.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (PIECES[mid].base <= idx) lo = mid; else hi = mid - 1; }
    return PIECES[lo];
  }
  function refreshView(keepSearch) {
    const q = byId('search').value.trim();
    let base;
    if (q) {
      if (!keepSearch || !searchCache || searchCache.q !== q || searchCache.n !== T.length) {
        searchCache = { q: q, res: search(q), n: T.length, complete: loaded };
      }
      base = searchCache.res;
    } else searchCache = null;
    const want = FILTERS[S.filter];
    if (!want) view = base || identity(T.length);
    else {
      const out = [];
      if (base) { for (let k = 0; k < base.length; k++) if (want.indexOf(ST[base[k]]) >= 0) out.push(base[k]); } else { for (let i = 0; i < T.length; i++) if (want.indexOf(ST[i]) >= 0) out.push(i); }
      view = Int32Array.from(out);
    }
    byId('list-inner').style.height = (view.length * ROW_H) + 'px';
    byId('list-info').textContent = view.length + (view.length === 1 ? ' task' : ' tasks') + (q ? ' match' : '') + (loaded ? '' : ' (loading ' + T.length + ' of ' + N + '…)');
    renderList(true);
  }
  let identityCache = null;
  function identity(n) {
    if (!identityCache || identityCache.length !== n) { identityCache = new Int32Array(n); for (let i = 0; i < n; i++) identityCache[i] = i; }
    return identityCache;
  }
  const pool = [];
  // Scroll metrics are cached (scroll and resize events keep them fresh) so that rendering never
  // forces a synchronous layout: that is what keeps next-task and search fast on big files.
  let listTop = 0; let listH = 0;
  function measureList() { const l = byId('list'); listTop = l.scrollTop; listH = l.clientHeight; }
  function setListTop(y, now) {
    listTop = Math.max(0, y);
    if (now) { byId('list').scrollTop = listTop; return; }  // only before other DOM changes: layout is clean then
    requestAnimationFrame(function () { byId('list').scrollTop = listTop; });
  }
  function renderList() {
    const inner = byId('list-inner'); if (!view) return;
    const first = Math.max(0, Math.floor(listTop / ROW_H) - 4);
    const last = Math.min(view.length, first + Math.ceil((listH || 900) / ROW_H) + 8);
    const need = last - first;
    while (pool.length < need) {
      const row = h('div', { class: 'row', role: 'button' }, h('span', { class: 'dot' }), h('span', { class: 'txt' }, h('div', { class: 'rid' }), h('div', { class: 'snip' })));
      row.addEventListener('click', function () { const i = parseInt(row.getAttribute('data-idx'), 10); if (!isNaN(i)) go(i); });
      pool.push(row); inner.append(row);
    }
    for (let k = 0; k < pool.length; k++) {
      const row = pool[k];
      if (k >= need) { if (!row.hidden) { row.hidden = true; row._idx = -1; } continue; }
      const idx = view[first + k]; const t = T[idx]; const y = (first + k) * ROW_H;
      // touch only what changed: unchanged rows cost no style or layout work
      if (row.hidden) row.hidden = false;
      if (row._y !== y) { row.style.transform = 'translateY(' + y + 'px)'; row._y = y; }
      if (row._idx !== idx) {
        row._idx = idx; row._cur = null; row._st = -1;
        row.setAttribute('data-idx', String(idx));
        const txt = row.lastChild;
        txt.firstChild.textContent = (idx + 1) + '. ' + t.id;
        txt.lastChild.textContent = promptText(t).slice(0, 120);
      }
      const cur = idx === S.cur;
      if (row._cur !== cur) { row.className = cur ? 'row cur' : 'row'; row._cur = cur; }
      if (row._st !== ST[idx]) { row._st = ST[idx]; row.firstChild.className = 'dot s' + ST[idx]; row.firstChild.title = STATUS_NAMES[ST[idx]]; }
    }
  }
  function scrollListTo(idx) {
    const p = viewPos(idx); if (p < 0) return;
    const y = p * ROW_H;
    if (y < listTop || y + ROW_H > listTop + listH) { setListTop(y - listH / 2); renderList(); }
  }
  function updateCounts() {
    const done = COUNTS[2];
    byId('progress-bar').style.width = (N ? (100 * done / N) : 0) + '%';
    byId('progress-text').textContent = done + ' / ' + N + ' submitted' + (COUNTS[3] ? ' · ' + COUNTS[3] + ' skipped' : '') + (COUNTS[4] ? ' · ' + COUNTS[4] + ' flagged' : '');
    const c = { all: T.length, todo: COUNTS[0] + COUNTS[1], done: COUNTS[2], flagged: COUNTS[4], skipped: COUNTS[3] };
    document.querySelectorAll('#filters button').forEach(function (b) {
      const f = b.getAttribute('data-filter'); b.querySelector('b').textContent = String(c[f]);
      b.classList.toggle('on', f === S.filter); b.setAttribute('aria-selected', f === S.filter ? 'true' : 'false');
    });
  }

  // ------------------------------------------------------------------ export
  function header() {
    return { format: 'labelloop-results', version: 1, tool: 'labelloop', file_id: FID, schema_hash: META.schema_hash,
      seed: META.seed, dataset: META.dataset, annotator: S.annotator, exported_at: nowIso(), n_tasks: N };
  }
  function resultRows() {
    flushTime();
    const out = [];
    for (const t of T) {
      const r = R.get(t.id); if (!r) continue;
      const st = statusOf(t, r); if (st === 0 && !r.created_at) continue;
      out.push({ task_id: t.id, annotator: r.annotator || S.annotator, status: ['draft', 'draft', 'submitted', 'skipped', 'flagged'][st],
        reason: st === 4 ? r.flag : st === 3 ? r.skip : null, values: r.values, created_at: r.created_at, updated_at: r.updated_at,
        time_spent_s: r.time_spent_s || 0, order: r.order || orderFor(t) });
    }
    return out;
  }
  // A spreadsheet runs a text cell that starts with = + - @ tab or CR as a formula: such a cell gets a leading '
  // (OWASP's rule, labelloop's csv_safe). Numbers pass as they are. As import-results reads this file back, the
  // rule is the reversible one: a text that already starts with quotes before such a character gets one more.
  const FORMULA = /^'*[=+\-@\t\r]/;
  function csvCell(v) {
    let s = v === null || v === undefined ? '' : String(v);
    if (typeof v === 'string' && FORMULA.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function exportAs(fmt) {
    if (!loaded) { flash('Still loading tasks; export in a moment.'); return; }
    const head = header(); const res = resultRows(); let text; let mime;
    if (fmt === 'json') { text = JSON.stringify(Object.assign(head, { schema: SCHEMA, results: res }), null, 1); mime = 'application/json'; }
    else if (fmt === 'jsonl') {
      const lines = [JSON.stringify(Object.assign({}, head, { format: 'labelloop-results-header', schema: SCHEMA }))];
      for (const r of res) lines.push(JSON.stringify(Object.assign({ file_id: FID, schema_hash: META.schema_hash, seed: META.seed }, r)));
      text = lines.join('\n') + '\n'; mime = 'application/x-ndjson';
    } else {
      const cols = ['task_id', 'annotator', 'file_id', 'schema_hash', 'seed', 'status', 'reason', 'created_at', 'updated_at', 'time_spent_s', 'order'];
      const names = QS.map(function (q) { return q.name; });
      const lines = [cols.concat(names.map(function (n) { return 'q.' + n; })).map(csvCell).join(',')];
      for (const r of res) {
        const base = [r.task_id, r.annotator, FID, META.schema_hash, META.seed, r.status, r.reason, r.created_at, r.updated_at, r.time_spent_s, JSON.stringify(r.order)];
        const vals = QS.map(function (q) { const v = r.values[q.name]; return v === undefined ? '' : typeof v === 'number' ? v : JSON.stringify(v); });
        lines.push(base.concat(vals).map(csvCell).join(','));
      }
      text = lines.join('\r\n') + '\r\n'; mime = 'text/csv';
    }
    const safe = function (s) { return String(s || 'annotator').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60); };
    const name = safe(META.dataset) + '.' + safe(S.annotator) + '.' + FID + '.results.' + fmt;
    const url = URL.createObjectURL(new Blob([text], { type: mime + ';charset=utf-8' }));
    const a = h('a', { download: name }); a.href = url; document.body.append(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    byId('export-menu').hidden = true; byId('btn-export').setAttribute('aria-expanded', 'false');
  }

  // ------------------------------------------------------------------ chrome: name, theme, guidelines, help, keys
  function askName() {
    const m = byId('modal-name'); const box = byId('name-choices'); const inp = byId('name-input');
    const done = function (name) {
      name = String(name || '').trim(); if (!name) { inp.focus(); return; }
      S.annotator = name; saveState(); inp.blur(); if (document.activeElement && m.contains(document.activeElement)) document.activeElement.blur(); m.hidden = true; byId('who').textContent = name; renderTask(); refreshView();
    };
    if (META.annotators && META.annotators.length) {
      inp.hidden = true; byId('name-ok').hidden = true;
      box.replaceChildren.apply(box, META.annotators.map(function (a) { return h('button', { type: 'button', class: 'name-choice', 'data-name': a, onclick: function () { done(a); } }, a); }));
    }
    byId('name-ok').onclick = function () { done(inp.value); };
    inp.onkeydown = function (e) { if (e.key === 'Enter') { e.preventDefault(); done(inp.value); } e.stopPropagation(); };
    m.hidden = false;
    if (!inp.hidden) inp.focus(); else if (box.firstChild) box.firstChild.focus();
  }
  function applyTheme() { if (S.theme) document.documentElement.setAttribute('data-theme', S.theme); else document.documentElement.removeAttribute('data-theme'); }
  function toggleTheme() {
    const dark = S.theme ? S.theme === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
    S.theme = dark ? 'light' : 'dark'; applyTheme(); saveState();
  }
  function toggleGuidelines(show) {
    const g = byId('guidelines'); g.hidden = show === undefined ? !g.hidden : !show; S.guidelines = !g.hidden; saveState();
  }
  function modalOpen() { return ['modal-name', 'modal-reason', 'modal-help'].some(function (id) { return !byId(id).hidden; }); }
  function onKey(e) {
    const tag = e.target && e.target.tagName;
    const typing = tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
    if (!byId('modal-help').hidden) { if (e.key === 'Escape' || e.key === '?') { e.preventDefault(); byId('modal-help').hidden = true; } return; }
    if (modalOpen()) return;
    if (typing) { if (e.key === 'Escape') { e.preventDefault(); e.target.blur(); } return; }
    if (!T[S.cur] || !S.annotator) return;
    const k = e.key; const ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && (k === 'z' || k === 'Z')) { e.preventDefault(); if (e.shiftKey) redo(); else undo(); return; }
    if (ctrl && (k === 'y' || k === 'Y')) { e.preventDefault(); redo(); return; }
    if (ctrl || e.altKey) return;
    let handled = true;
    if (k === 'ArrowRight' || k === 'n' || k === 'j') step(1);
    else if (k === 'ArrowLeft' || k === 'p' || k === 'k') step(-1);
    else if (k === 'Enter') nextTodo();
    else if (k === 'ArrowDown') { if (rows.length) { active = Math.min(rows.length - 1, active + 1); markActive(); rows[active].el.scrollIntoView({ block: 'nearest' }); } }
    else if (k === 'ArrowUp') { if (rows.length) { active = Math.max(0, active - 1); markActive(); rows[active].el.scrollIntoView({ block: 'nearest' }); } }
    else if (k >= '1' && k <= '9') {
      const n = Number(k) - 1;
      const sel = window.getSelection();
      const spanRow = sel && !sel.isCollapsed ? rows.findIndex(function (r) { return r.q.type === 'span'; }) : -1;
      if (spanRow >= 0 && (rows[active].q.type !== 'span')) { active = spanRow; markActive(); }
      if (rows[active]) rows[active].apply(n);
    } else if (k === '0' || k === 'Backspace' || k === 'Delete') { if (rows[active]) rows[active].clear(); }
    else if (k === 'e') { const r = rows[active]; if (r && r.focus) r.focus(); else { const ta = document.querySelector('#questions textarea'); if (ta) ta.focus(); } }
    else if (k === 'a') accept(0);
    else if (k === 'f') flagTask();
    else if (k === 's') skipTask();
    else if (k === 'z') undo();
    else if (k === 'y' || k === 'Z') redo();
    else if (k === '/') byId('search').focus();
    else if (k === 'g') toggleGuidelines();
    else if (k === 'd') toggleTheme();
    else if (k === '?') byId('modal-help').hidden = false;
    else handled = false;
    if (handled) e.preventDefault();
  }

  function wire() {
    byId('title').textContent = META.title;
    const gl = byId('guidelines-body');
    if (META.guidelines && META.guidelines.trim()) gl.append(md(META.guidelines, false)); else { gl.append(h('p', { class: 'muted', text: 'No guidelines were given for this file.' })); }
    byId('btn-guidelines').addEventListener('click', function () { toggleGuidelines(); });
    byId('close-guidelines').addEventListener('click', function () { toggleGuidelines(false); });
    byId('btn-theme').addEventListener('click', toggleTheme);
    byId('btn-help').addEventListener('click', function () { byId('modal-help').hidden = false; });
    byId('help-close').addEventListener('click', function () { byId('modal-help').hidden = true; });
    byId('btn-export').addEventListener('click', function () { const m = byId('export-menu'); m.hidden = !m.hidden; byId('btn-export').setAttribute('aria-expanded', m.hidden ? 'false' : 'true'); });
    document.querySelectorAll('[data-export]').forEach(function (b) { b.addEventListener('click', function () { exportAs(b.getAttribute('data-export')); }); });
    byId('banner-close').addEventListener('click', function () { byId('banner').hidden = true; });
    document.querySelectorAll('#filters button').forEach(function (b) { b.addEventListener('click', function () { setListTop(0, true); S.filter = b.getAttribute('data-filter'); saveState(); updateCounts(); refreshView(true); }); });
    byId('search').addEventListener('input', function () { setListTop(0, true); refreshView(); });
    byId('search').addEventListener('keydown', function (e) { if (e.key === 'Enter' && view && view.length) { e.preventDefault(); go(view[0]); byId('search').blur(); } });
    let ticking = false;
    byId('list').addEventListener('scroll', function () { if (!ticking) { ticking = true; requestAnimationFrame(function () { ticking = false; listTop = byId('list').scrollTop; renderList(); }); } });
    byId('main').addEventListener('scroll', function () { mainTop = byId('main').scrollTop; }, { passive: true });
    window.addEventListener('resize', function () { measureList(); renderList(); });
    document.addEventListener('keydown', onKey);
    document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'hidden') flushTime(); else shownAt = performance.now(); });
    window.addEventListener('pagehide', flushTime);
  }

  // ------------------------------------------------------------------ boot
  loadStored();
  applyTheme();
  if (S.cur >= N) S.cur = 0;
  wire();
  measureList();
  ingest();
  if (S.guidelines === null) S.guidelines = !!(META.guidelines && META.guidelines.trim());
  byId('guidelines').hidden = !S.guidelines;
  updateCounts();
  refreshView();
  if (S.annotator) { byId('who').textContent = S.annotator; renderTask(); } else askName();

  function more() {
    const had = !!T[S.cur];
    while (ingest()) { /* a chunk per call; loop in case calls were coalesced */ }
    updateCounts();
    if (!had && T[S.cur] && S.annotator) renderTask();
    refreshView(true);
  }
  function done() {
    more(); loaded = true; searchCache = null; refreshView();
    document.documentElement.setAttribute('data-loaded', '1');
  }
  window.LL = Object.freeze({ more: more, done: done });
})();
