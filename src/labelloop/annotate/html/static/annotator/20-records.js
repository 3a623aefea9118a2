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
  let rankBuild = null;               // keyboard ranking in progress: {key, ids, tied, pendingTie}
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
      const t = { id: a[0], p: a[1], c: a[2], s: a[3] && a[3].length ? a[3] : null, f: a[4] || null, o: a[5] || null };
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
    // one seeded shuffle per task, made in Python (labelloop.data.positions.candidate_order): every annotator
    // and the pre-label prompt see the same answer under the same letter
    return t.o && t.o.length === t.c.length ? t.o.slice() : t.c.map(function (c) { return c[0]; });
  }
  function answered(q, v, t) {
    if (v === undefined || v === null) return false;
    if (q.per_candidate && q.type !== 'span') return t.c.every(function (c) { return answered(Object.assign({}, q, { per_candidate: false }), v[c[0]], t); });
    if (q.type === 'text') return typeof v === 'string' && v.trim() !== '';
    if (q.type === 'ranking') return Array.isArray(v) && rankFlat(v).length === rankItems(q, t).length;
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

