// tilestyle's web page: send jobs, follow the conversation through server-sent events.
// Plain ES module, no build step. Everything shown comes from the server's event stream.

// The commands' image limit, filled in by the server (which checks it again).
const maxUpload = Number(document.body.dataset.maxUpload);
const maxUploadText = document.body.dataset.maxUploadText;
const conversation = conversationId();

const form = document.getElementById('composer');
const log = document.getElementById('log');
const scroller = document.querySelector('.conversation');
const empty = document.getElementById('empty');
const status = document.getElementById('status');
const connection = document.getElementById('connection');
const sendButton = document.getElementById('send');

/** Message id → message, and the DOM nodes that show them. */
const messages = new Map();
const messageNodes = new Map();
const threadNodes = new Map();

const REACTIONS = {
  rerun: { label: '🔁 Finer tiles', title: 'Run this again with finer tiles' },
  cancel: { label: '❌ Cancel', title: 'Cancel this job' },
};

function conversationId() {
  const key = 'tilestyle.conversation';
  const valid = (id) => typeof id === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(id);
  // ?c=<id> opens another conversation (the one the log names for chat results that reached no one), not kept.
  const asked = new URLSearchParams(location.search).get('c');
  if (valid(asked)) return asked;
  let id;
  try {
    id = localStorage.getItem(key);
  } catch {
    // storage disabled: the conversation lasts as long as the tab
  }
  if (!valid(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    try {
      localStorage.setItem(key, id);
    } catch {
      // as above
    }
  }
  return id;
}

function setStatus(text, kind = 'info') {
  status.textContent = text;
  status.dataset.kind = kind;
}

// ---- The conversation ------------------------------------------------------------------------

function nearBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
}

function threadNode(thread) {
  let node = threadNodes.get(thread);
  if (!node) {
    node = document.createElement('li');
    node.className = 'thread';
    node.dataset.thread = thread;
    threadNodes.set(thread, node);
    log.append(node);
  }
  return node;
}

/** Text with **bold** and `code` spans, built as DOM nodes (never as HTML). */
function richText(text) {
  const fragment = document.createDocumentFragment();
  const pattern = /(\*\*[^*]+\*\*|`[^`]+`)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) fragment.append(text.slice(last, match.index));
    const token = match[0];
    const node = document.createElement(token.startsWith('**') ? 'strong' : 'code');
    node.textContent = token.startsWith('**') ? token.slice(2, -2) : token.slice(1, -1);
    fragment.append(node);
    last = match.index + token.length;
  }
  if (last < text.length) fragment.append(text.slice(last));
  return fragment;
}

function imagesNode(files) {
  const box = document.createElement('div');
  box.className = 'images';
  for (const file of files) {
    const figure = document.createElement('figure');
    const link = document.createElement('a');
    link.href = file.url;
    link.target = '_blank';
    link.rel = 'noopener';
    const img = document.createElement('img');
    img.src = file.url;
    img.alt = file.description || file.filename;
    img.decoding = 'async';
    link.append(img);
    const caption = document.createElement('figcaption');
    caption.textContent = file.filename;
    figure.append(link, caption);
    box.append(figure);
  }
  return box;
}

/** The message's buttons (each names its job on the server), else its reactions. */
function actionsNode(message) {
  const box = document.createElement('div');
  box.className = 'actions';
  if (message.buttons && message.buttons.length > 0) {
    for (const spec of message.buttons) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `reaction ${spec.action}`;
      button.textContent = spec.label;
      button.dataset.action = spec.action;
      button.addEventListener('click', () => press(message.id, spec, button));
      box.append(button);
    }
    return box;
  }
  for (const reaction of message.reactions) {
    const spec = REACTIONS[reaction];
    if (!spec) continue;
    // A status message offers ❌ only while its text does (a finished job's status no longer does).
    if (reaction === 'cancel' && !message.text.includes('❌')) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `reaction ${reaction}`;
    button.textContent = spec.label;
    button.title = spec.title;
    button.setAttribute('aria-label', spec.title);
    button.addEventListener('click', () => react(message.id, reaction, button));
    box.append(button);
  }
  return box;
}

function renderMessage(message) {
  let node = messageNodes.get(message.id);
  const fresh = !node;
  if (fresh) {
    node = document.createElement('article');
    node.id = `msg-${message.id}`;
    const meta = document.createElement('p');
    meta.className = 'meta';
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = message.author === 'you' ? 'You' : 'tilestyle';
    const time = document.createElement('time');
    time.dateTime = new Date(message.at).toISOString();
    time.textContent = new Date(message.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    meta.append(who, ' ', time);
    if (message.whisper) meta.append(' · only you can see this');
    const text = document.createElement('div');
    text.className = 'text';
    node.append(meta, text, document.createElement('div'), document.createElement('div'));
    const thread = threadNode(message.thread);
    const previous = messages.get(thread.lastElementChild?.id.slice(4));
    // Consecutive messages from the same author read as one block, as in chat apps.
    if (previous && previous.author === message.author && previous.whisper === message.whisper && message.at - previous.at < 300_000) {
      meta.classList.add('visually-hidden');
      node.dataset.continued = 'true';
    }
    thread.append(node);
    messageNodes.set(message.id, node);
  }
  node.className = `msg ${message.author}${message.whisper ? ' whisper' : ''}${node.dataset.continued ? ' continued' : ''}`;
  const [, text, images, actions] = node.children;
  // Rebuild only what changed, so images do not flicker and a focused button keeps its focus.
  if (node.dataset.text !== message.text) {
    text.replaceChildren(richText(message.text));
    node.dataset.text = message.text;
  }
  const imageKey = message.files.map((f) => f.url).join(' ');
  if (node.dataset.images !== imageKey) {
    images.replaceWith(imagesNode(message.files));
    node.dataset.images = imageKey;
  }
  const buttonKey = (message.buttons || []).map((b) => b.action).join(' ');
  const actionKey = `${message.reactions.join(' ')}${message.text.includes('❌') ? ' ❌' : ''}|${buttonKey}`;
  if (node.dataset.actions !== actionKey) {
    actions.replaceWith(actionsNode(message));
    node.dataset.actions = actionKey;
  }
  return fresh;
}

function renderAll() {
  log.replaceChildren();
  messageNodes.clear();
  threadNodes.clear();
  const ordered = [...messages.values()].sort((a, b) => a.at - b.at);
  for (const message of ordered) renderMessage(message);
  empty.hidden = messages.size > 0;
  scroller.scrollTop = scroller.scrollHeight;
}

function connect() {
  const source = new EventSource(`/api/events?c=${encodeURIComponent(conversation)}`);
  source.addEventListener('open', () => {
    connection.textContent = 'Connected';
    connection.dataset.state = 'up';
  });
  source.addEventListener('error', () => {
    connection.textContent = 'Reconnecting…';
    connection.dataset.state = 'down';
  });
  source.addEventListener('snapshot', (event) => {
    messages.clear();
    for (const message of JSON.parse(event.data).messages) messages.set(message.id, message);
    renderAll();
  });
  // A job taken back: its messages leave the conversation.
  source.addEventListener('removed', (event) => {
    if (!messages.delete(JSON.parse(event.data).id)) return;
    renderAll();
  });
  source.addEventListener('message', (event) => {
    const { message } = JSON.parse(event.data);
    const stick = nearBottom();
    messages.set(message.id, message);
    renderMessage(message);
    empty.hidden = true;
    if (stick) scroller.scrollTop = scroller.scrollHeight;
  });
}

// ---- Sending ---------------------------------------------------------------------------------

async function post(path, body, headers) {
  const response = await fetch(`${path}?c=${encodeURIComponent(conversation)}`, { method: 'POST', body, headers });
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    // answered below from the status code
  }
  if (!response.ok) throw new Error(answer.error || `The server answered ${response.status}.`);
  return answer;
}

async function react(messageId, reaction, button) {
  button.disabled = true;
  try {
    await post('/api/react', JSON.stringify({ message: messageId, reaction }), { 'Content-Type': 'application/json' });
    setStatus(reaction === 'rerun' ? 'Asked for a re-run with finer tiles.' : 'Asked to cancel the job.');
  } catch (error) {
    setStatus(error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

async function press(messageId, spec, button) {
  button.disabled = true;
  try {
    await post('/api/react', JSON.stringify({ message: messageId, action: spec.action }), { 'Content-Type': 'application/json' });
    setStatus(spec.action === 'cancel' ? 'Asked to cancel the job.' : `Asked for: ${spec.label}.`);
  } catch (error) {
    setStatus(error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

// The options a user may keep as defaults (option-catalog.ts, userDefault); palette=off is typed: settings palette=off.
const DEFAULT_FIELDS = ['strength', 'tiles', 'size', 'crop'];

document.getElementById('save-defaults').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  const options = {};
  for (const name of DEFAULT_FIELDS) {
    const value = form.elements[name].value.trim();
    if (value !== '') options[name] = value;
  }
  button.disabled = true;
  try {
    await post('/api/settings', JSON.stringify({ options }), { 'Content-Type': 'application/json' });
    setStatus(Object.keys(options).length > 0 ? 'Asked to keep these as your defaults.' : 'Asked for your defaults.');
  } catch (error) {
    setStatus(error.message, 'error');
  } finally {
    button.disabled = false;
  }
});

// ---- Operator controls (answered in the conversation; refused unless from this machine) --------

const adminControl = document.getElementById('admin-control');
const adminRun = document.getElementById('admin-run');

async function runAdminControl() {
  adminRun.disabled = true;
  try {
    await post('/api/admin', JSON.stringify({ text: adminControl.value }), { 'Content-Type': 'application/json' });
    adminControl.value = '';
    setStatus('Sent to the operator controls.');
  } catch (error) {
    setStatus(error.message, 'error');
  } finally {
    adminRun.disabled = false;
  }
}

adminRun.addEventListener('click', runAdminControl);
// Enter in the control's box runs it, not the job form around it.
adminControl.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter') return;
  event.preventDefault();
  void runAdminControl();
});

function mode() {
  return form.elements.mode.value;
}

function fileFields() {
  return mode() === 'stylize' ? ['content', 'style'] : ['style'];
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData();
  for (const field of fileFields()) {
    const file = form.elements[field].files[0];
    if (!file) {
      setStatus(`Choose a ${field} image first.`, 'error');
      form.elements[field].focus();
      return;
    }
    if (file.size > maxUpload) {
      setStatus(`${file.name} is too large: each image may be at most ${maxUploadText}.`, 'error');
      return;
    }
    data.append(field, file, file.name);
  }
  for (const element of form.querySelectorAll('.row input, .row select, .more input[type=checkbox]')) {
    if (element.disabled) continue;
    if (element.type === 'checkbox') {
      if (element.checked) data.append(element.name, element.value);
    } else if (element.value.trim() !== '') {
      data.append(element.name, element.value.trim());
    }
  }
  sendButton.disabled = true;
  setStatus('Sending…');
  try {
    await post(`/api/${mode()}`, data);
    setStatus('Sent. Progress appears in the conversation.');
  } catch (error) {
    setStatus(error.message, 'error');
  } finally {
    sendButton.disabled = false;
  }
});

// ---- Image pickers ---------------------------------------------------------------------------

for (const drop of document.querySelectorAll('.drop')) {
  const input = drop.querySelector('input[type=file]');
  const preview = drop.querySelector('.drop-preview');
  const hint = drop.querySelector('.drop-hint');
  const show = () => {
    const file = input.files[0];
    if (preview.src) URL.revokeObjectURL(preview.src);
    if (!file) {
      preview.hidden = true;
      preview.removeAttribute('src');
      hint.textContent = 'Drop an image here or choose one';
      return;
    }
    preview.src = URL.createObjectURL(file);
    preview.alt = `Chosen ${drop.dataset.field} image: ${file.name}`;
    preview.hidden = false;
    hint.textContent = file.name;
  };
  input.addEventListener('change', show);
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (event.dataTransfer?.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
  // A broken preview (not really an image) still leaves the file chosen; the server answers about it.
  preview.addEventListener('error', () => {
    preview.hidden = true;
  });
}

function applyMode() {
  const palette = mode() === 'palette';
  const contentDrop = document.getElementById('content-drop');
  contentDrop.hidden = palette;
  form.elements.content.disabled = palette;
  // Options that only apply to a stylized picture are not sent with a palette request.
  for (const label of form.querySelectorAll('.stylize-only')) {
    label.hidden = palette;
    for (const input of label.querySelectorAll('input')) input.disabled = palette;
  }
  sendButton.textContent = palette ? 'Show palette' : 'Send';
}
for (const radio of form.elements.mode) radio.addEventListener('change', applyMode);
applyMode();

connect();
