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

