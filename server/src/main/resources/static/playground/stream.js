// Reading the API's answers: TGI's server-sent events over fetch (EventSource cannot POST a body), and errors.

/**
 * Calls onEvent with the parsed JSON of each `data:` event of a text/event-stream response, in order; events that
 * `isJson` refuses (OpenAI's closing `[DONE]`) are skipped.
 */
export async function readEvents(response, onEvent, isJson = () => true) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      dispatch(buffer.slice(0, end), onEvent, isJson);
      buffer = buffer.slice(end + 2);
    }
  }
  dispatch(buffer, onEvent, isJson); // a last event the server closed without a blank line
}

function dispatch(block, onEvent, isJson) {
  const data = block.split('\n')
    .filter(line => line.startsWith('data:'))
    .map(line => line.slice(line.startsWith('data: ') ? 6 : 5));
  if (data.length > 0 && isJson(data.join('\n'))) {
    onEvent(JSON.parse(data.join('\n')));
  }
}

/**
 * The error of a failed response as {status, type, message}: TGI's {"error", "error_type"}, Spring's problem
 * details ({"title", "detail"}), or else the body's text.
 */
export async function readError(response) {
  const text = await response.text();
  let type = response.statusText || 'error';
  let message = text.trim() || 'the server gave no reason';
  try {
    const body = JSON.parse(text);
    if (typeof body.error === 'string') {
      type = body.error_type || type;
      message = body.error;
    } else if (body.error && typeof body.error.message === 'string') { // OpenAI's shape, on /v1 routes
      type = body.error.type || type;
      message = body.error.message;
    } else if (body.detail || body.title) {
      type = body.title || type;
      message = body.detail || body.title;
    }
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, type, message };
}
