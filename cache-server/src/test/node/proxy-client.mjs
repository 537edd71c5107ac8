// The official openai client as a caller of semcache's proxy mode: ProxyClientsTest runs this script with
// SEMCACHE_URL (semcache's base URL, .../v1) and UPSTREAM_CALLS_URL (the fake upstream's call counter),
// and checks what it prints: one JSON object with what each scenario saw.
import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: process.env.SEMCACHE_URL,
  apiKey: 'sk-node-upstream-key',
  maxRetries: 0, // every upstream call is counted: no silent retries
  defaultHeaders: { 'X-Semcache-Namespace': 'node' },
});

async function upstreamCalls() {
  const r = await fetch(process.env.UPSTREAM_CALLS_URL);
  return (await r.json())['/v1/chat/completions'] ?? 0;
}

function ask(text, extra = {}) {
  return { model: 'gpt-test', temperature: 0, messages: [{ role: 'user', content: text }], ...extra };
}

async function whole(params, options) {
  const { data, response } = await client.chat.completions.create(params, options).withResponse();
  return {
    status: response.headers.get('x-cache-status'),
    lookupId: response.headers.get('x-semcache-lookup-id'),
    id: data.id,
    model: data.model,
    content: data.choices[0].message.content,
    finish: data.choices[0].finish_reason,
    tool: data.choices[0].message.tool_calls?.[0]?.function?.name ?? null,
    usage: data.usage ?? null,
  };
}

async function streamed(params, options) {
  const { data: stream, response } = await client.chat.completions
    .create({ ...params, stream: true }, options).withResponse();
  let content = '';
  let finish = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    for (const choice of chunk.choices) {
      content += choice.delta?.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  return { status: response.headers.get('x-cache-status'), content, finish, chunks };
}

async function failure(fn) {
  try {
    await fn();
    return { failed: false };
  } catch (e) {
    return { failed: true, name: e.constructor.name, status: e.status ?? null, message: String(e.message) };
  }
}

const out = {};
let calls = await upstreamCalls();
const delta = async () => { const now = await upstreamCalls(); const d = now - calls; calls = now; return d; };

out.plain = [await whole(ask('Who painted the Mona Lisa?')), await whole(ask('Who painted the Mona Lisa?'))];
out.plainCalls = await delta();

const colours = ask('Name the colours of the rainbow.');
out.stream = [await streamed(colours), await streamed(colours), await whole(colours)];
out.streamCalls = await delta();

const conversation = (first, answer) => ({
  model: 'gpt-test', temperature: 0,
  messages: [{ role: 'user', content: first }, { role: 'assistant', content: answer },
    { role: 'user', content: 'and how old is he?' }],
});
const hamlet = conversation('Who wrote Hamlet?', 'William Shakespeare.');
const france = conversation('Who is the president of France?', 'Emmanuel Macron.');
out.multiTurn = [await whole(hamlet), await whole(france), await whole(hamlet), await whole(france)];
out.multiTurnCalls = await delta();

const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
out.tools = [await whole(ask('[tool] Weather in Paris?', { tools })), await whole(ask('[tool] Weather in Paris?', { tools }))];
out.toolsCalls = await delta();

out.errors = [await failure(() => whole(ask('Fail [error 500]'))), await failure(() => whole(ask('Fail [error 500]')))];
out.errorsCalls = await delta();

const bypassed = ask('What is the tallest mountain on Earth?');
out.bypass = [await whole(bypassed, { headers: { 'Cache-Control': 'no-store' } }), await whole(bypassed),
  await whole(bypassed), await whole(bypassed, { headers: { 'Cache-Control': 'no-cache' } })];
out.bypassCalls = await delta();

out.die = [await failure(() => streamed(ask('[die] A long story, please.'))),
  await failure(() => streamed(ask('[die] A long story, please.')))];
out.dieCalls = await delta();

process.stdout.write(JSON.stringify(out) + '\n');
