// The definition editor: CodeMirror 6 (api/static/vendor/codemirror.js, global CM) over the plain
// textarea, which stays the form field (without JavaScript it is the editor and still saves).
// The server runs the same validator as `python -m engine validate` (/admin/validera) and answers
// with located problems, causes first (`caused_by`), the document's ids and, when valid, the diagram.
// Completion and hover help come from the JSON Schema embedded in the page (#editor-help).
(function () {
  "use strict";
  var area = document.getElementById("yaml");
  if (!area) return;
  var status = document.getElementById("validering-status");
  var list = document.getElementById("problem-lista");
  var diagram = document.getElementById("diagram");
  var drawnFor = area.value;  // the text the diagram on the page was drawn for (the server drew it)
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var helpNode = document.getElementById("editor-help");
  var help = helpNode ? JSON.parse(helpNode.textContent) : { schema: {}, durations: [], ids: {} };
  var schema = help.schema || {};
  var ids = help.ids || {};
  var CM = window.CM;
  var view = null;

  // --- problems: the list under the editor, causes first, follow-ons under their cause --------

  function goto(line) {
    if (!line) return;
    if (view) {
      var l = view.state.doc.line(Math.min(line, view.state.doc.lines));
      view.dispatch({ selection: { anchor: l.from, head: l.to }, effects: CM.EditorView.scrollIntoView(l.from, { y: "center" }) });
      view.focus();
    } else {
      var lines = area.value.split("\n");
      var start = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
      area.focus();
      area.setSelectionRange(start, start + (lines[line - 1] || "").length);
    }
  }

  function item(p) {
    var li = document.createElement("li");
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link goto";
    b.dataset.line = p.line || "";
    b.textContent = "Rad " + (p.line || "?");
    li.appendChild(b);
    li.appendChild(document.createTextNode(": " + p.message));
    return li;
  }

  function showProblems(result) {
    var problems = result.problems || [];
    list.innerHTML = "";
    var causes = 0;
    var nested = {};
    problems.forEach(function (p, i) {
      if (p.caused_by !== null && p.caused_by !== undefined && nested[p.caused_by]) {
        nested[p.caused_by].push(p);
        return;
      }
      causes++;
      nested[i] = [];
      var li = item(p);
      li.dataset.index = i;
      list.appendChild(li);
    });
    Array.prototype.forEach.call(list.children, function (li) {
      var follow = nested[li.dataset.index];
      if (!follow || !follow.length) return;
      var details = document.createElement("details");
      details.className = "follow-ons";
      var summary = document.createElement("summary");
      summary.textContent = follow.length + " följdfel av detta";
      var ul = document.createElement("ul");
      follow.forEach(function (p) { ul.appendChild(item(p)); });
      details.appendChild(summary);
      details.appendChild(ul);
      li.appendChild(details);
    });
    if (result.ok) {
      status.textContent = "Inga fel.";
      status.className = "good";
      // redraw only for a changed text: the admin's zoom and scroll stay while they only look
      if (result.svg && result.text !== drawnFor) { diagram.innerHTML = result.svg; drawnFor = result.text; }
    } else {
      status.textContent = causes + " fel i definitionen.";
      status.className = "bad";
    }
    if (result.ids) ids = result.ids;
  }

  function check(text) {
    return fetch("/admin/validera", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: JSON.stringify({ yaml: text })
    }).then(function (r) { return r.json(); }).then(function (result) { result.text = text; return result; });
  }

  list.addEventListener("click", function (ev) {
    var b = ev.target.closest("button.goto");
    if (b && b.dataset.line) goto(parseInt(b.dataset.line, 10));
  });

  if (!CM) {  // the bundle did not load: the textarea with live validation
    var timer = null;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { check(area.value).then(showProblems); }, 400);
    });
    return;
  }

  // --- where the cursor is: the keys above it, from the indentation -----------------------------

  var KEY = /^(\s*)((?:-\s+)*)([A-Za-z_][\w]*)\s*:(?=\s|$)/;

  function parents(doc, lineNo, indent) {
    var path = [];
    var cur = indent;
    for (var n = lineNo - 1; n >= 1 && cur > 0; n--) {
      var text = doc.line(n).text;
      if (!text.trim() || /^\s*#/.test(text)) continue;
      var lead = /^(\s*)/.exec(text)[1].length;
      if (lead >= cur) continue;
      var m = KEY.exec(text);
      var keyAt = m ? m[1].length + m[2].length : lead;
      if (m && keyAt < cur) {
        path.unshift(m[3]);
        cur = keyAt;
      } else {
        cur = lead;  // a list item's dash: the item's mapping continues above
      }
    }
    return path;
  }

  function at(state, pos) {
    var line = state.doc.lineAt(pos);
    var before = line.text.slice(0, pos - line.from);
    var m = /^(\s*)((?:-\s+)*)(.*)$/.exec(before);
    var indent = m[1].length + m[2].length;
    var rest = m[3];
    var path = parents(state.doc, line.number, indent);
    var kv = /^([A-Za-z_][\w]*)\s*:\s*(.*)$/.exec(rest);
    if (!kv) return { mode: "key", path: path, word: rest, from: pos - rest.length };
    var value = kv[2];
    var cut = Math.max(value.lastIndexOf("["), value.lastIndexOf(","));
    var word = (cut >= 0 ? value.slice(cut + 1) : value).replace(/^\s+/, "");
    return { mode: "value", path: path, key: kv[1], word: word, from: pos - word.length };
  }

  // --- the schema: fields, their descriptions and values -----------------------------------------

  function resolve(s) {
    var guard = 0;
    while (s && s.$ref && guard++ < 20) s = (schema.$defs || {})[s.$ref.split("/").pop()];
    return s || null;
  }

  function objectOf(s) {
    s = resolve(s);
    if (!s) return null;
    if (s.properties) return s;
    if (s.items) return objectOf(s.items);
    var alts = s.anyOf || s.oneOf || [];
    for (var i = 0; i < alts.length; i++) {
      var o = objectOf(alts[i]);
      if (o) return o;
    }
    return null;
  }

  function fieldOf(path) {
    var s = schema;
    for (var i = 0; i < path.length; i++) {
      var o = objectOf(s);
      if (!o || !o.properties[path[i]]) return null;
      s = o.properties[path[i]];
    }
    return s;
  }

  function describe(s) {
    if (!s) return "";
    if (s.description) return s.description;
    var r = resolve(s);
    if (r && r !== s && r.description) return r.description;
    var alts = (r && (r.anyOf || r.oneOf)) || [];
    for (var i = 0; i < alts.length; i++) {
      var d = describe(alts[i]);
      if (d) return d;
    }
    return r && r.items ? describe(r.items) : "";
  }

  function values(s, out) {  // enum values and booleans, through $ref, anyOf and items
    s = resolve(s);
    if (!s) return out;
    (s.enum || []).forEach(function (v) { if (out.indexOf(String(v)) < 0) out.push(String(v)); });
    if (s.const !== undefined && out.indexOf(String(s.const)) < 0) out.push(String(s.const));
    if (s.type === "boolean") ["true", "false"].forEach(function (v) { if (out.indexOf(v) < 0) out.push(v); });
    (s.anyOf || s.oneOf || []).forEach(function (a) { values(a, out); });
    if (s.items) values(s.items, out);
    return out;
  }

  function isDuration(s) {
    s = resolve(s);
    if (!s) return false;
    if (s.examples && /dag|vecka|veckor|månad/.test(String(s.examples[0]))) return true;
    return (s.anyOf || []).some(isDuration) || (s.items ? isDuration(s.items) : false);
  }

  var KIND_WORD = { parties: "part", roles: "roll", phases: "fas", facts: "faktum", tasks: "uppgift" };

  function refKinds(path, key) {  // which of the document's ids a field names
    var parent = path[path.length - 1];
    if (key === "to") return parent === "escalation" ? ["parties", "roles"] : ["phases"];
    if (key === "start" || key === "starts_in") return ["phases"];
    if (key === "party" || parent === "consent_covers" || key === "consent_covers") return ["parties"];
    if (key === "fact") return ["facts"];
    if (["responsible", "notify", "coordinator", "notify_on_max_length"].indexOf(key) >= 0) return ["parties", "roles"];
    return [];
  }

  function idOptions(kinds, prefix) {
    var out = [];
    kinds.forEach(function (kind) {
      (ids[kind] || []).forEach(function (e) {
        out.push({ label: (prefix || "") + e.id, type: "variable", detail: KIND_WORD[kind] + (e.label ? ": " + e.label : "") });
      });
    });
    return out;
  }

  function complete(context) {
    var where = at(context.state, context.pos);
    var options = [];
    if (where.mode === "key") {
      if (!/^[\w]*$/.test(where.word)) return null;
      if (!where.word && !context.explicit) return null;
      var obj = objectOf(fieldOf(where.path));
      if (!obj) return null;
      var required = obj.required || [];
      Object.keys(obj.properties).forEach(function (name) {
        var prop = obj.properties[name];
        options.push({
          label: name,
          type: "property",
          detail: required.indexOf(name) >= 0 ? "krävs" : "",
          info: describe(prop) || null,
          apply: name + ": "
        });
      });
    } else {
      if (!where.word && !context.explicit && !/:\s$|[\[,]\s?$/.test(context.state.doc.lineAt(context.pos).text.slice(0, context.pos - context.state.doc.lineAt(context.pos).from))) return null;
      var field = fieldOf(where.path.concat([where.key]));
      options = idOptions(refKinds(where.path, where.key));
      if (where.key === "due_from") {
        options = [{ label: "phase_start", detail: "när fasen börjar" }, { label: "case_start", detail: "när ärendet börjar" }]
          .concat(idOptions(["facts"], "fact:"), idOptions(["tasks"], "task:"));
      }
      values(field, []).forEach(function (v) { options.push({ label: v, type: "enum" }); });
      if (isDuration(field)) {
        (help.durations || []).forEach(function (d) { options.push({ label: d, type: "text", detail: "tidsangivelse" }); });
      }
    }
    if (!options.length) return null;
    return { from: where.from, options: options, validFor: /^[\w:åäöÅÄÖ ]*$/ };
  }

  // --- hover: a field's description, an id's label -----------------------------------------------

  function labelOf(id) {
    for (var kind in KIND_WORD) {
      var list = ids[kind] || [];
      for (var i = 0; i < list.length; i++) {
        if (list[i].id === id) return KIND_WORD[kind].charAt(0).toUpperCase() + KIND_WORD[kind].slice(1) + (list[i].label ? ": " + list[i].label : "");
      }
    }
    return "";
  }

  function hover(v, pos) {
    var line = v.state.doc.lineAt(pos);
    var re = /[A-Za-z_][\w]*(?::[\w]+)?/g;
    var m;
    while ((m = re.exec(line.text))) {
      var from = line.from + m.index;
      var to = from + m[0].length;
      if (pos < from || pos > to) continue;
      var word = m[0];
      var isKey = /^\s*:/.test(line.text.slice(m.index + word.length)) && /^\s*(?:-\s+)*$/.test(line.text.slice(0, m.index));
      var text = "";
      if (isKey) {
        var where = at(v.state, from);
        var prop = fieldOf(where.path.concat([word]));
        text = prop ? word + ": " + (describe(prop) || "fält i definitionen") : "";
      } else {
        text = labelOf(word.replace(/^(fact|task):/, ""));
      }
      if (!text) return null;
      return {
        pos: from,
        end: to,
        above: true,
        create: function () {
          var dom = document.createElement("div");
          dom.className = "cm-help";
          dom.textContent = text;
          return { dom: dom };
        }
      };
    }
    return null;
  }

  // --- lint: the server's problems as markers on their lines --------------------------------------

  function lint(v) {
    var text = v.state.doc.toString();
    return check(text).then(function (result) {
      showProblems(result);
      if (v.state.doc.toString() !== text) return [];
      var doc = v.state.doc;
      var problems = result.problems || [];
      var out = [];
      problems.forEach(function (p) {
        if (!p.line || p.line > doc.lines) return;
        var l = doc.line(p.line);
        var follow = p.caused_by !== null && p.caused_by !== undefined && problems[p.caused_by];
        var start = l.from + (/^\s*(?:-\s+)?/.exec(l.text)[0].length);
        out.push({
          from: Math.min(start, l.to),
          to: l.to,
          severity: follow ? "warning" : "error",
          message: follow ? "Följer av felet på rad " + follow.line + ": " + p.message : p.message
        });
      });
      return out;
    }).catch(function () {
      status.textContent = "Kunde inte kontrollera just nu.";
      status.className = "bad";
      return [];
    });
  }

  // --- the editor over the textarea ---------------------------------------------------------------

  var host = document.createElement("div");
  host.className = "code-editor";
  area.parentNode.insertBefore(host, area);
  area.hidden = true;
  view = new CM.EditorView({
    doc: area.value,
    parent: host,
    extensions: [
      CM.lineNumbers(),
      CM.highlightActiveLineGutter(),
      CM.history(),
      CM.drawSelection(),
      CM.indentOnInput(),
      CM.indentUnit.of("  "),
      CM.syntaxHighlighting(CM.defaultHighlightStyle, { fallback: true }),
      CM.bracketMatching(),
      CM.highlightActiveLine(),
      CM.highlightSelectionMatches(),
      CM.yaml(),
      CM.autocompletion({ override: [complete], icons: false }),
      CM.linter(lint, { delay: 400 }),
      CM.lintGutter(),
      CM.hoverTooltip(hover, { hoverTime: 300 }),
      CM.keymap.of([].concat(CM.completionKeymap, CM.defaultKeymap, CM.searchKeymap, CM.historyKeymap, CM.lintKeymap, [CM.indentWithTab])),
      CM.EditorView.contentAttributes.of({ "aria-labelledby": "yaml-label", "aria-describedby": "validering", tabindex: "0" }),
      CM.EditorView.updateListener.of(function (u) {
        if (!u.docChanged) return;
        area.value = u.state.doc.toString();
        area.dispatchEvent(new Event("input", { bubbles: true }));  // the draft (draft.js) follows the editor
      })
    ]
  });
  document.getElementById("yaml-label").addEventListener("click", function () { view.focus(); });
  area.form.addEventListener("submit", function () { area.value = view.state.doc.toString(); });
  // a text put into the textarea by another script (the draft's "Återställ utkastet") goes into the editor
  area.addEventListener("input", function () {
    var text = view.state.doc.toString();
    if (area.value !== text) view.dispatch({ changes: { from: 0, to: text.length, insert: area.value } });
  });
  window.insatsEditor = view;  // for the browser tests and the console
})();
