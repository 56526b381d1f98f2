// Turns the form into a TGI request body: images inline in `inputs`, sampling and routing in `parameters`.

/** How each prompt format places the images (markdown data URIs) and the text. */
const FORMATS = {
  plain: (images, text) => (images ? images + '\n' : '') + text,
  llava: (images, text) => 'USER: ' + (images ? images + '\n' : '') + text + ' ASSISTANT:',
  internvl: (images, text) => '<|im_start|>user\n' + (images ? images + '\n' : '') + text
    + '<|im_end|>\n<|im_start|>assistant\n',
};

/** `inputs` for a prompt: each image written as TGI writes it, `![](data:image/png;base64,...)`. */
export function composeInputs(format, text, dataUris) {
  const images = dataUris.map(uri => `![](${uri})`).join('');
  return (FORMATS[format] || FORMATS.plain)(images, text);
}

/** A number input's value, or undefined when it is empty. */
function numberOf(input) {
  const raw = input.value.trim();
  return raw === '' ? undefined : Number(raw);
}

/** `parameters.routing` for the chosen mode, or undefined to keep the mixture's own router. */
export function routingOf(form) {
  const mode = form.mode.value;
  if (mode === '') {
    return undefined;
  }
  const routing = { mode };
  if (mode === 'fixed') {
    routing.weights = form.weights.map(input => numberOf(input) ?? 0);
  }
  if (['soft', 'top-k', 'posterior'].includes(mode)) {
    routing.temperature = numberOf(form.routingTemperature);
  }
  if (mode === 'top-k' || mode === 'learned') {
    routing.top_k = numberOf(form.topK);
  }
  return routing;
}

/** The whole request body; fields left empty are left out, so the server's defaults apply. */
export function buildRequest(form) {
  const parameters = {
    max_new_tokens: numberOf(form.maxNewTokens),
    temperature: numberOf(form.temperature),
    top_p: numberOf(form.topP),
    seed: numberOf(form.seed),
    details: true,
    routing: routingOf(form),
  };
  return {
    inputs: composeInputs(form.format.value, form.prompt.value, form.images),
    parameters: JSON.parse(JSON.stringify(parameters)), // drops the undefined fields
  };
}

/**
 * The same request for the OpenAI-compatible chat route: one user turn of image parts and the text, rendered by
 * the checkpoints' own chat template on the server.
 */
export function buildChatRequest(form) {
  const content = [...form.images.map(url => ({ type: 'image_url', image_url: { url } })),
    { type: 'text', text: form.prompt.value }];
  const body = {
    messages: [{ role: 'user', content }],
    max_tokens: numberOf(form.maxNewTokens),
    temperature: numberOf(form.temperature) ?? 0, // greedy unless asked, as the TGI formats are
    top_p: numberOf(form.topP),
    seed: numberOf(form.seed),
    routing: routingOf(form),
    stream: true,
  };
  return JSON.parse(JSON.stringify(body)); // drops the undefined fields
}

/** The body as JSON for people: each data URI shortened to its type and length. */
export function preview(body) {
  return JSON.stringify(body, null, 2).replace(/data:([\w.+/-]+);base64,[A-Za-z0-9+/=]+/g,
    (uri, type) => `data:${type};base64,…(${uri.length.toLocaleString()} characters)`);
}
