/* labelloop offline annotator. Everything from the data is rendered as text or through md(),
   which builds DOM nodes and never parses HTML; the guidelines panel comes written, escaped, by
   labelloop.markdown.to_html. Values are stored in candidate ids, never positions. */
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

  // Python counts characters in code points, JS strings in UTF-16 units.
  function u16ToCp(text, u) { let cp = 0; for (let i = 0; i < u && i < text.length; i++) { const c = text.charCodeAt(i); if (c >= 0xD800 && c <= 0xDBFF && i + 1 < u) i++; cp++; } return cp; }
  function cpToU16(text, cp) { let i = 0; while (cp > 0 && i < text.length) { const c = text.charCodeAt(i); i += (c >= 0xD800 && c <= 0xDBFF) ? 2 : 1; cp--; } return Math.min(i, text.length); }

