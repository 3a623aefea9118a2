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

