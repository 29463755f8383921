// A carrier in Twilio's REST shape, standing in for the real one: a test double of a third
// party, not part of the product. It takes Calls.json and Messages.json as Twilio documents
// them (form-encoded, Basic auth with the account SID and auth token, 201 with the resource,
// 4xx with { code, message, more_info, status }), and prepares the status callbacks it would
// send, signed as Twilio documents X-Twilio-Signature, with its own code (not the product's).
// Tests read them at /_callbacks and post them to the edge. Whom it calls decides how the call
// goes, as the simulated media server's numbers do: 0001 busy, 0002 no answer, 0003 an
// answering machine, 0004 failed; 0005 makes the API itself answer 503 (after placing the call).
const accounts = new Map();
const requests = [];
const callbacks = [];
let serial = 0;

const sidOf = (prefix) => `${prefix}${(++serial).toString(16).padStart(32, "0")}`;
const encoder = new TextEncoder();
const unescapeXml = (s) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, "&").replace(/&quot;/g, '"');

async function signature(token, url, params) {
  const key = await crypto.subtle.importKey("raw", encoder.encode(token), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join("");
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(data)));
  let binary = "";
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const error = (status, code, message) =>
  Response.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, { status });

/** What happens to a call to this party, as the sequence of CallStatus (and AnsweredBy) it reports. */
function script(to) {
  const tail = to.slice(-4);
  if (tail === "0001") return [["initiated"], ["ringing"], ["busy"]];
  if (tail === "0002") return [["initiated"], ["ringing"], ["no-answer"]];
  if (tail === "0003") return [["initiated"], ["ringing"], ["in-progress", "machine_end_beep"], ["completed", "machine_end_beep"]];
  if (tail === "0004") return [["failed"]];
  return [["initiated"], ["ringing"], ["in-progress", "human"], ["completed", "human"]];
}

async function queue(account, url, sid, base, steps, extra = {}) {
  let sequence = 0;
  for (const [status, answeredBy] of steps) {
    const params = {
      AccountSid: account.sid,
      CallSid: sid,
      CallStatus: status,
      ApiVersion: "2010-04-01",
      CallbackSource: "call-progress-events",
      SequenceNumber: String(sequence++),
      Timestamp: new Date(0).toUTCString(),
      ...base,
      ...extra,
      ...(answeredBy ? { AnsweredBy: answeredBy } : {}),
    };
    callbacks.push({ sid, url, params, signature: await signature(account.token, url, params) });
  }
}

async function calls(account, form) {
  const to = form.get("To");
  const from = form.get("From");
  if (!to) return error(400, 21201, "No 'To' number is specified");
  if (!from) return error(400, 21603, "A 'From' phone number is required.");
  if (!form.get("Twiml") && !form.get("Url")) return error(400, 21205, "Url or Twiml is required");
  if (!/^(\+[1-9]\d{6,14}|client:.+|sip:.+)$/.test(to)) return error(400, 21211, `Invalid 'To' Phone Number: ${to}`);
  const sid = sidOf("CA");
  const statusUrl = form.get("StatusCallback");
  const base = { From: from, To: to, Direction: "outbound-api" };
  if (/^(client|sip):/.test(to)) {
    // Agent-first: the agent answers, then the Twiml dials the customer, whose leg reports to its own callback.
    if (statusUrl) await queue(account, statusUrl, sid, base, [["initiated"], ["ringing"], ["in-progress"]]);
    const number = /<Number([^>]*)>([^<]+)<\/Number>/.exec(form.get("Twiml") ?? "");
    if (number) {
      const customer = unescapeXml(number[2]);
      const childUrl = /statusCallback="([^"]+)"/.exec(number[1]);
      const child = sidOf("CA");
      if (childUrl) await queue(account, unescapeXml(childUrl[1]), child, { From: from, To: customer, Direction: "outbound-dial" }, script(customer), { ParentCallSid: sid });
    }
    if (statusUrl) await queue(account, statusUrl, sid, base, [["completed"]]);
  } else if (statusUrl) {
    await queue(account, statusUrl, sid, base, script(to));
  }
  if (to.endsWith("0005")) return error(503, 20500, "Service Unavailable");
  return Response.json(
    { sid, account_sid: account.sid, to, from, status: "queued", direction: "outbound-api", api_version: "2010-04-01", date_created: new Date(0).toUTCString(), uri: `/2010-04-01/Accounts/${account.sid}/Calls/${sid}.json` },
    { status: 201 },
  );
}

async function messages(account, form) {
  const to = form.get("To");
  const from = form.get("From");
  if (!to || !/^\+[1-9]\d{6,14}$/.test(to)) return error(400, 21211, `Invalid 'To' Phone Number: ${to}`);
  if (!from) return error(400, 21603, "A 'From' phone number is required.");
  if (!form.get("Body")) return error(400, 21602, "Message body is required.");
  const sid = sidOf("SM");
  const statusUrl = form.get("StatusCallback");
  if (statusUrl) {
    for (const status of to.endsWith("0004") ? ["sent", "undelivered"] : ["sent", "delivered"]) {
      const params = { AccountSid: account.sid, MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status, From: from, To: to, ApiVersion: "2010-04-01" };
      callbacks.push({ sid, url: statusUrl, params, signature: await signature(account.token, statusUrl, params) });
    }
  }
  return Response.json({ sid, account_sid: account.sid, to, from, body: form.get("Body"), status: "queued", api_version: "2010-04-01" }, { status: 201 });
}

export async function carrier(request) {
  const url = new URL(request.url);
  const account = /^\/_accounts\/([^/]+)$/.exec(url.pathname);
  if (account && request.method === "PUT") {
    accounts.set(account[1], await request.text());
    return new Response(null, { status: 204 });
  }
  if (url.pathname === "/_requests") return Response.json(requests);
  if (url.pathname === "/_callbacks") return Response.json(callbacks.filter((c) => !url.searchParams.get("sid") || c.sid === url.searchParams.get("sid")));
  const api = /^\/2010-04-01\/Accounts\/([^/]+)\/(Calls|Messages)\.json$/.exec(url.pathname);
  if (!api || request.method !== "POST") return error(404, 20404, "The requested resource was not found");
  const [user, token] = atob((request.headers.get("authorization") ?? "").replace(/^Basic /, "")).split(":");
  const body = await request.text();
  requests.push({ resource: api[2], accountSid: api[1], user, form: [...new URLSearchParams(body)] });
  if (user !== api[1] || !accounts.has(user) || accounts.get(user) !== token) return error(401, 20003, "Authenticate");
  const form = new URLSearchParams(body);
  const who = { sid: user, token };
  return api[2] === "Calls" ? calls(who, form) : messages(who, form);
}
