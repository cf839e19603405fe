// The parts of CodeMirror 6 the definition editor uses, bundled into api/static/vendor/codemirror.js
// as one global `CM` (make codemirror). api/static/editor.js builds the editor from them.
export { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection, hoverTooltip, placeholder } from "@codemirror/view";
export { EditorState, Compartment } from "@codemirror/state";
export { syntaxHighlighting, defaultHighlightStyle, indentOnInput, bracketMatching, foldGutter, indentUnit, syntaxTree } from "@codemirror/language";
export { yaml } from "@codemirror/lang-yaml";
export { autocompletion, completionKeymap, closeBrackets, startCompletion, acceptCompletion, currentCompletions, completionStatus } from "@codemirror/autocomplete";
export { linter, lintGutter, setDiagnostics, forceLinting, diagnosticCount, lintKeymap } from "@codemirror/lint";
export { defaultKeymap, history, historyKeymap, indentWithTab, insertTab } from "@codemirror/commands";
export { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
