// The editor keeps a draft of the definition's text in localStorage (issue 15): when the session
// runs out while an admin edits, the save goes to the sign-in page and the text would be lost;
// back on the editor after signing in, the draft is offered. A draft that was saved (the page
// after the save says so) or that equals the text on the page is dropped.
(() => {
  const form = document.getElementById('yaml-form');
  const area = document.getElementById('yaml');
  if (!form || !area) return;
  let storage;
  try { storage = window.localStorage; } catch (e) { return; }
  if (!storage) return;
  const key = 'insats-utkast:' + form.getAttribute('action');
  const read = () => { try { return JSON.parse(storage.getItem(key) || 'null'); } catch (e) { return null; } };
  const write = (submitted) => {
    try { storage.setItem(key, JSON.stringify({ text: area.value, at: new Date().toISOString(), submitted })); } catch (e) { /* full */ }
  };
  const draft = read();
  if (draft && typeof draft.text === 'string') {
    const saved = draft.submitted && document.querySelector('.flash.ok');
    if (saved || draft.text === area.value) storage.removeItem(key);
    else offer(draft);
  }
  area.addEventListener('input', () => write(false));
  form.addEventListener('submit', () => write(true));

  // the code editor (editor.js) hides the textarea and stands in for it
  function focusEditor() { if (window.insatsEditor) window.insatsEditor.focus(); else area.focus(); }

  function offer(d) {
    const box = document.createElement('div');
    box.className = 'flash info';
    box.id = 'utkast';
    box.setAttribute('role', 'status');
    const when = new Date(d.at);
    const text = document.createElement('p');
    text.textContent = 'Du har ett utkast som inte sparades (ändrat ' +
      when.toLocaleString('sv-SE', { dateStyle: 'long', timeStyle: 'short' }) +
      '), till exempel för att sessionen gick ut. Vill du fortsätta med det?';
    const restore = document.createElement('button');
    restore.type = 'button';
    restore.textContent = 'Återställ utkastet';
    restore.addEventListener('click', () => {
      area.value = d.text;
      area.dispatchEvent(new Event('input', { bubbles: true }));
      box.remove();
      focusEditor();
    });
    const drop = document.createElement('button');
    drop.type = 'button';
    drop.className = 'secondary';
    drop.textContent = 'Släng utkastet';
    drop.addEventListener('click', () => { storage.removeItem(key); box.remove(); focusEditor(); });
    box.append(text, restore, drop);
    form.parentNode.insertBefore(box, form);
  }
})();
