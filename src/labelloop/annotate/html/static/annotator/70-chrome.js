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
    else if (k === '=') { if (rows[active] && rows[active].tie) rows[active].tie(); }
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
  // a page made for one person (create --plan, or --annotators with one name) is theirs: no name to choose
  if (META.annotators && META.annotators.length === 1 && S.annotator !== META.annotators[0]) { S.annotator = META.annotators[0]; saveState(); }
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
