#!/usr/bin/env node
// Drives the official twilio-node SDK against a running smsim, as a Node app would use it.
//
//   node drive_twilio_node.js SMSIM_URL
//
// Every Twilio call goes through the SDK, pointed at smsim by setting each domain's
// baseUrl (the SDK joins it with the resource path; see twilio/lib/base/Domain.js).
// smsim's own control API (accounts, inbound texts, the virtual clock) is called with
// fetch. A local HTTP server is the StatusCallback and inbound URL: it checks the
// X-Twilio-Signature of every request with the SDK's own twilio.validateRequest.
// Prints one JSON summary line on stdout; any failed check exits 1 with its reason.
"use strict";

const http = require("node:http");
const assert = require("node:assert/strict");
const twilio = require("twilio");

const SMSIM = (process.argv[2] || "").replace(/\/+$/, "");
if (!SMSIM) {
  console.error("usage: node drive_twilio_node.js SMSIM_URL");
  process.exit(2);
}

const NUMBER = "+14155550100";
const HANDSET = "+14155550111";
const PAGED_TO = "+14155550122";
const PAGED_COUNT = 25;

async function control(method, path, body) {
  const response = await fetch(`${SMSIM}/_smsim${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`control ${method} ${path}: ${response.status} ${text}`);
  }
  return JSON.parse(text);
}

// The webhook receiver: every request is checked with the SDK's validateRequest against
// the token of the account it is for (the AccountSid field).
function startReceiver(tokens) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const params = Object.fromEntries(new URLSearchParams(body));
      const url = `http://127.0.0.1:${server.address().port}${req.url}`;
      const signature = req.headers["x-twilio-signature"] || "";
      const token = tokens[params.AccountSid] || "";
      received.push({
        path: req.url.split("?")[0],
        params,
        valid: twilio.validateRequest(token, signature, url, params),
        // The same request checked with a wrong token must not validate.
        forged: twilio.validateRequest(token + "x", signature, url, params),
      });
      res.writeHead(200, { "Content-Type": "text/xml" });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, received }));
  });
}

function sdkClient(sid, token) {
  const client = twilio(sid, token);
  client.api.baseUrl = SMSIM;
  client.messaging.baseUrl = SMSIM;
  return client;
}

// The RestException a call rejects with (fails when it resolves).
async function restError(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof twilio.RestException, `not a RestException: ${error}`);
    return { code: error.code, status: error.status, message: error.message };
  }
  throw new Error("the call succeeded; an error was expected");
}

async function main() {
  const full = await control("POST", "/accounts", { type: "full", numbers: [NUMBER] });
  const trial = await control("POST", "/accounts", {
    type: "trial",
    numbers: ["+14155550200"],
    verified_numbers: [HANDSET],
  });
  const tokens = { [full.sid]: full.auth_token, [trial.sid]: trial.auth_token };
  const { server, received } = await startReceiver(tokens);
  const base = `http://127.0.0.1:${server.address().port}`;
  const statusCallback = `${base}/status?tag=node`;
  const client = sdkClient(full.sid, full.auth_token);
  const summary = { account_sid: full.sid, receiver: base, checks: [] };
  const check = (name) => summary.checks.push(name);

  // create, then fetch once the clock has run the lifecycle
  const created = await client.messages.create({
    to: HANDSET,
    from: NUMBER,
    body: "hello from twilio-node",
    statusCallback,
  });
  assert.match(created.sid, /^SM[0-9a-f]{32}$/);
  assert.equal(created.status, "queued");
  assert.equal(created.accountSid, full.sid);
  assert.equal(created.numSegments, "1");
  check("create");
  await control("POST", "/clock/run-until-idle");
  const fetched = await client.messages(created.sid).fetch();
  assert.equal(fetched.status, "delivered");
  assert.equal(fetched.body, "hello from twilio-node");
  assert.ok(fetched.dateSent instanceof Date, "dateSent is parsed into a Date");
  check("fetch");

  // list and page: the SDK follows next_page_uri across pages by itself
  for (let i = 0; i < PAGED_COUNT; i++) {
    await client.messages.create({ to: PAGED_TO, from: NUMBER, body: `page ${i}`, statusCallback });
  }
  await control("POST", "/clock/run-until-idle");
  const listed = await client.messages.list({ to: PAGED_TO, pageSize: 10 });
  assert.equal(listed.length, PAGED_COUNT);
  assert.equal(new Set(listed.map((m) => m.sid)).size, PAGED_COUNT);
  const limited = await client.messages.list({ to: PAGED_TO, pageSize: 10, limit: 15 });
  assert.equal(limited.length, 15);
  const first = await client.messages.page({ to: PAGED_TO, pageSize: 10 });
  assert.equal(first.instances.length, 10);
  const second = await first.nextPage();
  assert.equal(second.instances.length, 10);
  const third = await second.nextPage();
  assert.equal(third.instances.length, 5);
  const pagedSids = [...first.instances, ...second.instances, ...third.instances].map((m) => m.sid);
  assert.deepEqual(pagedSids, listed.map((m) => m.sid));
  let eachCount = 0;
  await new Promise((resolve, reject) => {
    client.messages.each({
      to: PAGED_TO,
      pageSize: 7,
      callback: () => {
        eachCount++;
      },
      done: (error) => (error ? reject(error) : resolve()),
    });
  });
  assert.equal(eachCount, PAGED_COUNT);
  check("list and page");

  // redact: an empty Body on a finished message
  const redacted = await client.messages(created.sid).update({ body: "" });
  assert.equal(redacted.body, "");
  assert.equal((await client.messages(created.sid).fetch()).body, "");
  check("redact");

  // media
  const mms = await client.messages.create({
    to: HANDSET,
    from: NUMBER,
    body: "a picture",
    mediaUrl: ["https://example.com/cat.jpg"],
    statusCallback,
  });
  const media = await client.messages(mms.sid).media.list();
  assert.equal(media.length, 1);
  assert.match(media[0].sid, /^ME[0-9a-f]{32}$/);
  assert.equal(media[0].parentSid, mms.sid);
  check("media");

  // inbound: the number's SmsUrl, set through the SDK, gets the signed webhook
  const [number] = await client.incomingPhoneNumbers.list({ phoneNumber: NUMBER });
  assert.equal(number.phoneNumber, NUMBER);
  await client.incomingPhoneNumbers(number.sid).update({ smsUrl: `${base}/inbound` });
  await control("POST", "/inbound", { from: HANDSET, to: NUMBER, body: "hi back" });
  await control("POST", "/clock/run-until-idle");
  const inbound = received.filter((r) => r.path === "/inbound");
  assert.equal(inbound.length, 1, "the inbound webhook reached the number's SmsUrl");
  assert.equal(inbound[0].params.Body, "hi back");
  assert.equal(inbound[0].params.From, HANDSET);
  check("inbound");

  // Messaging Services: create one, give it the number, send through it
  const service = await client.messaging.v1.services.create({
    friendlyName: "node check",
    statusCallback,
  });
  assert.match(service.sid, /^MG[0-9a-f]{32}$/);
  const sender = await client.messaging.v1.services(service.sid).phoneNumbers.create({
    phoneNumberSid: number.sid,
  });
  assert.equal(sender.phoneNumber, NUMBER);
  const viaService = await client.messages.create({
    to: HANDSET,
    messagingServiceSid: service.sid,
    body: "through a service",
  });
  assert.equal(viaService.status, "accepted");
  assert.equal(viaService.messagingServiceSid, service.sid);
  await control("POST", "/clock/run-until-idle");
  const sentViaService = await client.messages(viaService.sid).fetch();
  assert.equal(sentViaService.from, NUMBER);
  assert.equal(sentViaService.status, "delivered");
  const services = await client.messaging.v1.services.list();
  assert.deepEqual(services.map((s) => s.sid), [service.sid]);
  check("messaging service");

  // delete: gone, and fetching it is Twilio's 20404
  assert.equal(await client.messages(mms.sid).remove(), true);
  const gone = await restError(client.messages(mms.sid).fetch());
  assert.deepEqual([gone.code, gone.status], [20404, 404]);
  check("delete");

  // the error codes, as RestException code and status
  summary.errors = {
    invalid_to: await restError(client.messages.create({ to: "12", from: NUMBER, body: "x" })),
    trial_unverified: await restError(
      sdkClient(trial.sid, trial.auth_token).messages.create({
        to: "+14155550999",
        from: "+14155550200",
        body: "x",
      }),
    ),
    not_found: await restError(client.messages("SM" + "0".repeat(32)).fetch()),
    bad_auth: await restError(sdkClient(full.sid, "wrong-token").messages.list()),
  };
  assert.deepEqual(
    Object.values(summary.errors).map((e) => [e.code, e.status]),
    [[21211, 400], [21608, 400], [20404, 404], [20003, 401]],
  );
  check("errors");

  await control("POST", "/clock/run-until-idle");
  server.close();
  summary.received = received.length;
  summary.validated = received.filter((r) => r.valid).length;
  summary.forged_accepted = received.filter((r) => r.forged).length;
  summary.by_path = {};
  for (const r of received) {
    summary.by_path[r.path] = (summary.by_path[r.path] || 0) + 1;
  }
  summary.statuses = received.filter((r) => r.path === "/status").map((r) => r.params.MessageStatus);
  assert.equal(summary.validated, summary.received, "a webhook's signature did not validate");
  assert.equal(summary.forged_accepted, 0, "a signature validated with the wrong token");
  check("signatures");
  console.log(JSON.stringify(summary));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
