// The frameworks applications build on, driving a running server: OpenAI's SDK with a Zod schema, LangChain.js and
// the Vercel AI SDK, each with a structured answer and a tool-call round trip. Prints one JSON object of results.
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";
import { ChatOpenAI } from "@langchain/openai";
import { HumanMessage, ToolMessage } from "@langchain/core/messages";
import { tool as langchainTool } from "@langchain/core/tools";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateObject, generateText, tool, stepCountIs } from "ai";

const base = process.argv[2];
const Shape = z.object({ shape: z.enum(["circle", "square", "triangle"]), count: z.number().int().min(0).max(9) });
const cities = ["Paris", "Oslo"];
const weatherInput = z.object({ city: z.enum(cities) });
const results = {};

async function openaiSdk() {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "none" });
  const parsed = await client.chat.completions.parse({
    model: "tributary",
    messages: [{ role: "user", content: "Which shape, and how many?" }],
    response_format: zodResponseFormat(Shape, "shapes"),
    temperature: 1,
  });
  results.openaiStructured = { parsed: parsed.choices[0].message.parsed, valid: Shape.safeParse(parsed.choices[0].message.parsed).success };

  const tools = [{ type: "function", function: { name: "get_weather", description: "The weather in a city.",
    parameters: { type: "object", properties: { city: { type: "string", enum: cities } }, required: ["city"] } } }];
  const messages = [{ role: "user", content: "Weather in Paris?" }];
  const first = await client.chat.completions.create({ model: "tributary", messages, tools, tool_choice: "required" });
  const call = first.choices[0].message.tool_calls[0];
  messages.push(first.choices[0].message);
  messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify({ sky: "clear" }) });
  const second = await client.chat.completions.create({ model: "tributary", messages, tools, max_tokens: 8 });
  results.openaiTools = { finish: first.choices[0].finish_reason, name: call.function.name,
    arguments: JSON.parse(call.function.arguments), final: second.choices[0].message.content };
}

async function langchain() {
  const model = new ChatOpenAI({ model: "tributary", apiKey: "none", configuration: { baseURL: `${base}/v1` }, temperature: 1 });
  const structured = {};
  for (const method of ["jsonSchema", "functionCalling"]) {
    const answer = await model.withStructuredOutput(Shape, { method }).invoke("Which shape, and how many?");
    structured[method] = { answer, valid: Shape.safeParse(answer).success };
  }
  const weather = langchainTool(async ({ city }) => JSON.stringify({ sky: "clear", city }),
    { name: "get_weather", description: "The weather in a city.", schema: weatherInput });
  const withTools = model.bindTools([weather], { tool_choice: "required" });
  const question = new HumanMessage("Weather in Paris?");
  const ai = await withTools.invoke([question]);
  const call = ai.tool_calls[0];
  const final = await model.bindTools([weather]).invoke(
    [question, ai, new ToolMessage({ tool_call_id: call.id, content: await weather.invoke(call.args) })], { maxTokens: 8 });
  results.langchain = { structured, tool: { name: call.name, args: call.args }, final: typeof final.content };
}

async function vercel() {
  const provider = createOpenAICompatible({ name: "tributary", baseURL: `${base}/v1`, supportsStructuredOutputs: true });
  const { object } = await generateObject({ model: provider("tributary"), schema: Shape, prompt: "Which shape, and how many?" });
  const calls = [];
  const answer = await generateText({
    model: provider("tributary"),
    prompt: "Weather in Paris?",
    maxOutputTokens: 120,
    tools: { get_weather: tool({ description: "The weather in a city.", inputSchema: weatherInput,
      execute: async ({ city }) => { calls.push(city); return { sky: "clear" }; } }) },
    prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? "required" : "none" }),
    stopWhen: stepCountIs(2),
  });
  results.vercel = { object, valid: Shape.safeParse(object).success, executed: calls, steps: answer.steps.length,
    final: typeof answer.text };
}

for (const [name, check] of Object.entries({ openaiSdk, langchain, vercel })) {
  try {
    await check();
  } catch (error) {
    results[`${name}Error`] = String(error?.stack ?? error);
  }
}
process.stdout.write(JSON.stringify(results));
