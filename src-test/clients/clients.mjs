// Drives a running Tributary server with the ecosystem's own clients and prints what they returned as JSON.
// Usage: node clients.mjs BASE_URL IMAGE_DATA_URI_FILE
import fs from "fs";
import OpenAI from "openai";
import { InferenceClient } from "@huggingface/inference";
import { HfInference } from "huggingface-inference-v2";

const [, , base, imageFile] = process.argv;
const image = fs.readFileSync(imageFile, "utf8").trim();
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", maxRetries: 0 });
const messages = [
  { role: "system", content: "Answer briefly." },
  { role: "user", content: [{ type: "image_url", image_url: { url: image } }, { type: "text", text: "What is shown?" }] },
];
const result = {};

const chat = await openai.chat.completions.create({
  messages, max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 2,
  routing: { mode: "fixed", weights: [1, 3] }, // Tributary's extension rides along in the body
});
result.chat = { text: chat.choices[0].message.content, finish: chat.choices[0].finish_reason,
  usage: chat.usage, weights: chat.choices[0].expert_weights, logprobs: chat.choices[0].logprobs.content.length };

let streamed = "", chunks = 0, usage = null;
const stream = await openai.chat.completions.create({
  messages, max_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true },
  routing: { mode: "fixed", weights: [1, 3] },
});
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  if (chunk.choices.length > 0) streamed += chunk.choices[0].delta.content ?? "";
}
result.chatStream = { text: streamed, chunks, usage };

const completion = await openai.completions.create({ model: (await openai.models.list()).data[0].id,
  prompt: "The river", max_tokens: 5, temperature: 0 });
result.completion = { text: completion.choices[0].text, model: completion.model };

try {
  await openai.chat.completions.create({ messages: [], max_tokens: 1 });
} catch (error) {
  result.badRequest = { status: error.status, kind: error.constructor.name, message: error.message };
}

const hf = new InferenceClient(undefined, { endpointUrl: base });
const tgi = await hf.textGeneration({ inputs: "The river", parameters: { max_new_tokens: 5 } });
// Against an endpoint URL this client speaks OpenAI's completions, and its stream yields their raw chunks.
let tgiStreamed = "", tgiEvents = 0;
for await (const event of hf.textGenerationStream({ inputs: "The river", parameters: { max_new_tokens: 5 } })) {
  tgiEvents++;
  tgiStreamed += event.choices[0].text;
}
result.tgi = { text: tgi.generated_text, streamed: tgiStreamed, events: tgiEvents };

// The classic TGI client posts to the endpoint itself: POST / with "stream" true or false.
// It needs a model name, or it asks the Hub for one; the server serves one model whatever the name.
const endpoint = new HfInference().endpoint(base);
const classicArgs = { model: "tributary", inputs: "The river", parameters: { max_new_tokens: 5 } };
const classic = await endpoint.textGeneration(classicArgs);
let classicStreamed = "", classicEvents = 0;
for await (const event of endpoint.textGenerationStream(classicArgs)) {
  classicEvents++;
  classicStreamed += event.token.text;
}
result.tgiClassic = { text: classic.generated_text, streamed: classicStreamed, events: classicEvents };

process.stdout.write(JSON.stringify(result));
