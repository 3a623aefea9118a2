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

