// The playground: reads the mixture from /info, sends the form to /generate_stream and shows the stream.
import { buildChatRequest, buildRequest, preview } from './request.js';
import { readError, readEvents } from './stream.js';
import { TokenView } from './tokens.js';

const MODES = {
  uniform: 'uniform: 1/K each',
  fixed: 'fixed: weights you set',
  hard: 'hard: the nearest centroid only',
  soft: 'soft: softmax over centroid similarity',
  'top-k': 'top-k: the k best, renormalized',
  posterior: 'posterior: Bayes on the experts\u2019 likelihoods',
  learned: 'learned: a router classifier',
};

const $ = id => document.getElementById(id);
const form = {
  prompt: $('prompt'), format: $('format'), mode: $('routing-mode'), routingTemperature: $('routing-temperature'),
  topK: $('routing-top-k'), maxNewTokens: $('max-new-tokens'), temperature: $('temperature'), topP: $('top-p'),
  seed: $('seed'), weights: [], images: [],
};
const view = new TokenView({ answer: $('answer'), chart: $('chart'), table: $('weights-table'), legend: $('legend') });
let experts = [];
let running = null; // the AbortController of the generation in progress

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
}

function showError(error) {
  const box = $('error');
  box.hidden = false;
  box.replaceChildren();
  const heading = document.createElement('strong');
  heading.textContent = [error.status, error.type].filter(Boolean).join(' ') + ': ';
  box.append(heading, document.createTextNode(error.message));
  setStatus('error', 'Failed.');
}

function clearError() {
  $('error').hidden = true;
  $('error').replaceChildren();
}

/** The API key typed in, kept for this tab only; a server without a key ignores the header's absence. */
function authorization() {
  const key = $('apiKey').value.trim();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function loadInfo() {
  let info;
  try {
    const response = await fetch('info', { headers: { Accept: 'application/json', ...authorization() } });
    if (!response.ok) {
      throw await readError(response);
    }
    info = await response.json();
  } catch (error) {
    showError(error instanceof Error ? { type: 'network', message: `cannot read /info: ${error.message}` } : error);
    return;
  }
  experts = info.experts || [];
  $('model').textContent = `${info.model_id}: ${experts.length} experts (${experts.join(', ')}), `
    + `router ${info.router}, version ${info.version}`;
  form.maxNewTokens.max = info.max_new_tokens;
  setUpRouting(info);
  view.reset(experts);
}

function setUpRouting(info) {
  const available = info.routing_modes || Object.keys(MODES); // an older server does not list them
  const mixtures = new Option(`the mixture's router (${info.router})`, '');
  form.mode.replaceChildren(mixtures, ...Object.entries(MODES).map(([mode, label]) => {
    const usable = available.includes(mode);
    const option = new Option(usable ? label : `${label} (needs router artefacts)`, mode);
    option.disabled = !usable;
    return option;
  }));
  form.topK.max = experts.length;
  form.topK.value = Math.min(2, experts.length);

  const group = $('fixed-weights');
  group.querySelectorAll('div').forEach(row => row.remove());
  form.weights = experts.map((name, k) => {
    const row = document.createElement('div');
    const label = document.createElement('label');
    label.htmlFor = `weight-${k}`;
    label.textContent = name;
    const input = Object.assign(document.createElement('input'),
      { id: `weight-${k}`, type: 'number', min: 0, step: 'any', value: 1 });
    row.append(label, input);
    group.append(row);
    return input;
  });
  showRoutingFields();
}

/** Shows (and enables) only the inputs the chosen mode takes. */
function showRoutingFields() {
  const mode = form.mode.value;
  const show = (element, visible) => {
    element.hidden = !visible;
    element.querySelectorAll('input').forEach(input => { input.disabled = !visible; });
  };
  show($('fixed-weights'), mode === 'fixed');
  show($('routing-temperature-row'), ['soft', 'top-k', 'posterior'].includes(mode));
  show($('routing-top-k-row'), mode === 'top-k' || mode === 'learned');
}

function readImage(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function attachImages() {
  const files = [...$('images').files];
  try {
    form.images.push(...await Promise.all(files.map(readImage)));
  } catch (error) {
    showError({ type: 'image', message: `cannot read the file: ${error.message}` });
  }
  $('images').value = ''; // the same file may be attached again
  drawThumbnails();
}

function drawThumbnails() {
  $('thumbnails').replaceChildren(...form.images.map((uri, i) => {
    const item = document.createElement('li');
    const image = Object.assign(document.createElement('img'), { src: uri, alt: `Image ${i + 1}` });
    const remove = Object.assign(document.createElement('button'),
      { type: 'button', textContent: '×', title: `Remove image ${i + 1}` });
    remove.setAttribute('aria-label', `Remove image ${i + 1}`);
    remove.addEventListener('click', () => {
      form.images.splice(i, 1);
      drawThumbnails();
    });
    item.append(image, remove);
    return item;
  }));
}

/** The served mixture's example questions, one button each; none for a mixture that ships none. */
async function loadExamples() {
  let examples = [];
  try {
    const response = await fetch('playground/examples.json', { headers: { Accept: 'application/json' } });
    examples = response.ok ? await response.json() : [];
  } catch {
    examples = []; // examples are a convenience: the page works without them
  }
  $('example-list').replaceChildren(...examples.map(example => {
    const button = Object.assign(document.createElement('button'), { type: 'button', className: 'example' });
    button.title = example.answer ? `Expected answer: ${example.answer}` : example.question;
    button.append(Object.assign(document.createElement('img'), { src: example.image, alt: '' }),
      document.createTextNode(example.question));
    button.addEventListener('click', () => ask(example));
    const item = document.createElement('li');
    item.append(button);
    return item;
  }));
  $('examples').hidden = examples.length === 0;
}

/** Fills the form with an example, in the checkpoints' own chat format, and generates. */
function ask(example) {
  form.images = [example.image];
  drawThumbnails();
  form.prompt.value = example.question;
  form.format.value = 'chat';
  if (!running) {
    generate();
  }
}

async function generate() {
  clearError();
  const chat = form.format.value === 'chat';
  const body = chat ? buildChatRequest(form) : buildRequest(form);
  $('request-preview').textContent = preview(body);
  view.reset(experts);
  setStatus('waiting', 'Waiting for the first token…');
  running = new AbortController();
  $('generate').disabled = true;
  $('stop').disabled = false;
  try {
    await (chat ? streamChat(body, running.signal) : stream(body, running.signal));
  } catch (error) {
    if (error.name === 'AbortError') {
      setStatus('stopped', `Stopped after ${view.count} tokens.`);
    } else {
      showError({ type: 'network', message: error.message });
    }
  } finally {
    running = null;
    $('generate').disabled = false;
    $('stop').disabled = true;
  }
}

/** Posts a request whose answer streams; a refusal (shown here) gives null. */
async function post(path, body, signal) {
  const response = await fetch(path, {
    method: 'POST', signal, body: JSON.stringify(body),
    // A refusal comes as JSON before any event, so the request accepts both.
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream, application/json', ...authorization() },
  });
  if (!response.ok) {
    showError(await readError(response));
    return null;
  }
  return response;
}

async function stream(body, signal) {
  const response = await post('generate_stream', body, signal);
  if (!response) {
    return;
  }
  let finished = false;
  await readEvents(response, event => {
    if (event.error !== undefined) {
      finished = true;
      showError({ type: event.error_type, message: event.error });
      return;
    }
    view.add(event.token);
    setStatus('streaming', `Streaming: ${view.count} tokens…`);
    if (event.generated_text !== null && event.generated_text !== undefined) {
      finished = true;
      const reason = event.details ? `, finished by ${event.details.finish_reason}` : '';
      setStatus('done', `Done: ${view.count} tokens${reason}.`);
    }
  });
  if (!finished) {
    showError({ type: 'stream', message: 'the stream ended before its last token' });
  }
}

/** Streams /v1/chat/completions: one chunk per token, its text in the delta and its weights in expert_weights. */
async function streamChat(body, signal) {
  const response = await post('v1/chat/completions', body, signal);
  if (!response) {
    return;
  }
  let finished = false;
  await readEvents(response, event => {
    if (event.error !== undefined) {
      finished = true;
      showError({ type: event.error.type, message: event.error.message });
      return;
    }
    const choice = event.choices[0];
    if (choice.expert_weights.length > 0) { // the first chunk carries only the role
      view.add({ text: choice.delta.content ?? '', expert_weights: choice.expert_weights[0], special: false });
      setStatus('streaming', `Streaming: ${view.count} tokens…`);
    }
    if (choice.finish_reason) {
      finished = true;
      setStatus('done', `Done: ${view.count} tokens, finished by ${choice.finish_reason}.`);
    }
  }, data => data !== '[DONE]');
  if (!finished) {
    showError({ type: 'stream', message: 'the stream ended before its last token' });
  }
}

$('request').addEventListener('submit', event => {
  event.preventDefault();
  if (!running) {
    generate();
  }
});
$('prompt').addEventListener('keydown', event => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    $('request').requestSubmit();
  }
});
$('stop').addEventListener('click', () => running?.abort());
$('images').addEventListener('change', attachImages);
form.mode.addEventListener('change', showRoutingFields);
$('apiKey').value = sessionStorage.getItem('tributary.apiKey') || '';
$('apiKey').addEventListener('change', () => {
  sessionStorage.setItem('tributary.apiKey', $('apiKey').value.trim());
  clearError();
  loadInfo();
});
loadInfo();
loadExamples();
