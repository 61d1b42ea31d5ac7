/**
 * @module README.md's "Recipes: senders" run as written: every recipe block is written out verbatim, imported by one real
 * Express program (tsx, "tradehook" by self-reference to the build) that mounts each exported receiver and router on loopback,
 * and sent deliveries signed by the sender's own SDK or published known-answer vector: valid, tampered, stale (where the
 * scheme has a timestamp) and wrong-secret.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sign as octokitSign } from "@octokit/webhooks-methods";
import { Paddle } from "@paddle/paddle-node-sdk";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send } from "./conformance/client.js";
import { freePort, readmeSection, stopChildren } from "./helpers.js";

const RECIPES = ["stripe", "paddle", "github", "slack", "shopify", "coinbase-commerce", "alchemy", "twilio", "square", "linear", "svix", "nowpayments"];
const dir = fileURLToPath(new URL("../.tmp/recipes/", import.meta.url));
mkdirSync(dir, { recursive: true });

const SECRETS = {
  STRIPE_WEBHOOK_SECRET: "whsec_recipe_stripe",
  PADDLE_WEBHOOK_SECRET: "pdl_ntfset_recipe_paddle",
  GITHUB_WEBHOOK_SECRET: "It's a Secret to Everybody",
  SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
  SHOPIFY_WEBHOOK_SECRET: "shpss_recipe_shopify",
  COINBASE_COMMERCE_SECRET: "recipe-coinbase-shared-secret",
  ALCHEMY_SIGNING_KEY: "whsec_recipe_alchemy_key",
  TWILIO_AUTH_TOKEN: "12345",
  TWILIO_PUBLIC_URL: "https://mycompany.com/myapp.php",
  SQUARE_SIGNATURE_KEY: "recipe-square-signature-key",
  SQUARE_NOTIFICATION_URL: "https://example.com/webhooks/square",
  LINEAR_WEBHOOK_SECRET: "lin_wh_recipe_linear",
  CLERK_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  NOWPAYMENTS_IPN_SECRET: "recipe-nowpayments-ipn-secret",
};

const HARNESS = `
import express from "express";
import { expressWebhook } from "tradehook/express";

const app = express();
for (const name of JSON.parse(process.env.RECIPES ?? "[]") as string[]) {
  const mod = (await import(\`./\${name}.ts\`)) as Record<string, any>;
  for (const [key, value] of Object.entries(mod)) {
    if (typeof value?.handle === "function" && typeof value?.verify === "function") app.post(\`/\${name}/\${key}\`, expressWebhook(value));
    else if (typeof value === "function" && Array.isArray(value.stack)) app.use(value);
  }
}
app.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("recipes ready"));
`;

const children: ChildProcess[] = [];
let base = "";
let output = "";

beforeAll(async () => {
  for (const name of RECIPES) {
    const block = /```ts\n([\s\S]*?)```/.exec(readmeSection(`recipe-${name}`));
    if (!block) throw new Error(`README recipe ${name} has no ts block`);
    writeFileSync(`${dir}${name}.ts`, block[1]!);
  }
  writeFileSync(`${dir}harness.ts`, HARNESS);
  writeFileSync(`${dir}tsconfig.json`, JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { noEmit: true, rootDir: "../.." }, include: ["./*.ts"] }));
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", `${dir}harness.ts`], {
    env: { ...process.env, ...SECRETS, RECIPES: JSON.stringify(RECIPES), PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (output += text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (output += text));
  while (!output.includes("recipes ready")) {
    if (child.exitCode !== null) throw new Error(`the recipes program exited with ${child.exitCode}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  base = `http://127.0.0.1:${port}`;
}, 90_000);
afterAll(() => stopChildren(children));

const now = () => Math.floor(Date.now() / 1000);
const hex = (key: string, content: string, alg = "sha256") => createHmac(alg, key).update(content).digest("hex");
const b64 = (key: string, content: string, alg = "sha256") => createHmac(alg, key).update(content).digest("base64");
const post = (path: string, body: string, headers: Record<string, string>) => send(`${base}${path}`, { body, headers });
const code = async (reply: Promise<{ json(): any; status: number }>) => {
  const r = await reply;
  return `${r.status} ${r.json()?.error?.code ?? r.json()?.outcome}`;
};
const json = { "content-type": "application/json" };
const form = { "content-type": "application/x-www-form-urlencoded" };

it("every recipe typechecks as written (strict, against the package's types)", () => {
  const tsc = spawnSync(process.execPath, [fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url)), "-p", `${dir}tsconfig.json`], { encoding: "utf8" });
  expect(tsc.stdout + tsc.stderr).toBe("");
  expect(tsc.status).toBe(0);
}, 120_000);

describe("Stripe (stripe's generateTestHeaderString)", () => {
  const stripe = new Stripe("sk_test_recipes");
  const body = JSON.stringify({ id: "evt_1", object: "event", type: "invoice.paid", data: { object: { amount_paid: 1200 } } });
  const header = (payload: string, secret = SECRETS.STRIPE_WEBHOOK_SECRET, timestamp = now()) =>
    stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

  it("valid, tampered, stale, wrong secret", async () => {
    expect(await code(post("/stripe/stripe", body, { ...json, "stripe-signature": header(body) }))).toBe("200 processed");
    expect(await code(post("/stripe/stripe", body.replace("1200", "9900"), { ...json, "stripe-signature": header(body) }))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/stripe/stripe", body, { ...json, "stripe-signature": header(body, undefined, now() - 3600) }))).toBe("401 TIMESTAMP_TOO_OLD");
    expect(await code(post("/stripe/stripe", body, { ...json, "stripe-signature": header(body, "whsec_other") }))).toBe("401 INVALID_SIGNATURE");
  });

  it("accepts a header carrying a second v1 signature during secret rotation", async () => {
    const t = now();
    const real = header(body, undefined, t).split(",").find((e) => e.startsWith("v1="))!;
    const rotated = `t=${t},v1=${hex("whsec_old", `${t}.${body}`)},${real}`;
    expect(await code(post("/stripe/stripe", body, { ...json, "stripe-signature": rotated }))).toBe("200 duplicate");
  });
});

describe("Paddle Billing (signatures checked by @paddle/paddle-node-sdk)", () => {
  const paddle = new Paddle("pdl_sdbx_apikey_recipes");
  const body = JSON.stringify({ event_id: "evt_01", event_type: "transaction.completed", data: { id: "txn_01" } });
  const header = (payload: string, secret = SECRETS.PADDLE_WEBHOOK_SECRET, ts = now()) => `ts=${ts};h1=${hex(secret, `${ts}:${payload}`)}`;

  it("valid, tampered, stale, wrong secret", async () => {
    const good = header(body);
    expect(await paddle.webhooks.isSignatureValid(body, SECRETS.PADDLE_WEBHOOK_SECRET, good)).toBe(true);
    expect(await code(post("/paddle/paddle", body, { ...json, "paddle-signature": good }))).toBe("200 processed");
    expect(await code(post("/paddle/paddle", `${body} `, { ...json, "paddle-signature": good }))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/paddle/paddle", body, { ...json, "paddle-signature": header(body, undefined, now() - 3600) }))).toBe("401 TIMESTAMP_TOO_OLD");
    const forged = header(body, "pdl_ntfset_other");
    expect(await paddle.webhooks.isSignatureValid(body, SECRETS.PADDLE_WEBHOOK_SECRET, forged)).toBe(false);
    expect(await code(post("/paddle/paddle", body, { ...json, "paddle-signature": forged }))).toBe("401 INVALID_SIGNATURE");
  });
});

describe("GitHub (@octokit/webhooks-methods' sign, and GitHub's published vector)", () => {
  it("valid, tampered, wrong secret; the published vector verifies", async () => {
    expect(await octokitSign(SECRETS.GITHUB_WEBHOOK_SECRET, "Hello, World!")).toBe("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    const body = JSON.stringify({ ref: "refs/heads/main", commits: [] });
    const headers = (signature: string) => ({ ...json, "x-hub-signature-256": signature, "x-github-event": "push", "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    const good = await octokitSign(SECRETS.GITHUB_WEBHOOK_SECRET, body);
    const reply = await post("/github/github", body, headers(good));
    expect(reply.json()).toMatchObject({ outcome: "processed", id: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(await code(post("/github/github", body.replace("main", "prod"), { ...headers(good), "x-github-delivery": "d2" }))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/github/github", body, { ...headers(await octokitSign("other", body)), "x-github-delivery": "d3" }))).toBe("401 INVALID_SIGNATURE");
    const vector = headers("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    // "Hello, World!" is not JSON: authentic, then 400 (never 401, never 5xx)
    expect(await code(post("/github/github", "Hello, World!", { ...vector, "x-github-delivery": "d4" }))).toBe("400 INVALID_JSON");
  });
});

describe("Slack (Slack's published vector)", () => {
  const vectorBody =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  const slackSign = (body: string, ts: number, secret = SECRETS.SLACK_SIGNING_SECRET) => ({
    "x-slack-request-timestamp": String(ts),
    "x-slack-signature": `v0=${hex(secret, `v0:${ts}:${body}`)}`,
  });

  it("the signer reproduces the vector; the vector itself is stale over HTTP", async () => {
    expect(slackSign(vectorBody, 1531420618)["x-slack-signature"]).toBe("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
    const vector = { ...form, "x-slack-request-timestamp": "1531420618", "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503" };
    const reply = await post("/webhooks/slack/commands", vectorBody, vector);
    expect(`${reply.status} ${reply.json().error.code}`).toBe("401 TIMESTAMP_TOO_OLD");
  });

  it("slash commands: valid (an empty 200), tampered, wrong secret", async () => {
    const body = vectorBody.replace("T1DC2JH3J&team_domain", "T9&team_domain");
    const ok = await post("/webhooks/slack/commands", body, { ...form, ...slackSign(body, now()) });
    expect([ok.status, ok.text, ok.headers["content-type"]]).toEqual([200, "", undefined]);
    await expect.poll(() => output).toContain("slack command /webhook-collect");
    const tampered = await post("/webhooks/slack/commands", body.replace("text=", "text=rm"), { ...form, ...slackSign(body, now()) });
    expect(tampered.status).toBe(401);
    expect((await post("/webhooks/slack/commands", body, { ...form, ...slackSign(body, now(), "other") })).status).toBe(401);
  });

  it("events: answers url_verification with its challenge; runs event handlers; refuses stale and forged", async () => {
    const challenge = JSON.stringify({ token: "Jhj5dZrVaK7ZwHHjRyZWjbDl", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type: "url_verification" });
    const answered = await post("/webhooks/slack/events", challenge, { ...json, ...slackSign(challenge, now()) });
    expect([answered.status, answered.json()]).toEqual([200, { challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" }]);
    expect((await post("/webhooks/slack/events", challenge, { ...json, ...slackSign(challenge, now(), "other") })).status).toBe(401);
    const mention = JSON.stringify({ type: "event_callback", event_id: "Ev1", event: { type: "app_mention", text: "hi" } });
    expect((await post("/webhooks/slack/events", mention, { ...json, ...slackSign(mention, now()) })).json()).toMatchObject({ outcome: "processed" });
    expect((await post("/webhooks/slack/events", mention, { ...json, ...slackSign(mention, now() - 3600) })).json().error.code).toBe("TIMESTAMP_TOO_OLD");
  });
});

describe("senders without a signing SDK: the HMAC their docs describe", () => {
  it("Shopify: valid, tampered, wrong secret", async () => {
    const body = JSON.stringify({ id: 820982911946154500, total_price: "403.00" });
    const headers = (sig: string, id: string) => ({ ...json, "x-shopify-hmac-sha256": sig, "x-shopify-topic": "orders/create", "x-shopify-webhook-id": id });
    expect(await code(post("/shopify/shopify", body, headers(b64(SECRETS.SHOPIFY_WEBHOOK_SECRET, body), "s1")))).toBe("200 processed");
    expect(await code(post("/shopify/shopify", body.replace("403", "1"), headers(b64(SECRETS.SHOPIFY_WEBHOOK_SECRET, body), "s2")))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/shopify/shopify", body, headers(b64("other", body), "s3")))).toBe("401 INVALID_SIGNATURE");
  });

  it("Coinbase Commerce: valid, tampered, wrong secret", async () => {
    const body = JSON.stringify({ id: 1, event: { id: "24934862-d980-46cb-9402-43c81b0cdba6", type: "charge:confirmed", data: { code: "66BEOV2A" } } });
    const sig = (key: string) => ({ ...json, "x-cc-webhook-signature": hex(key, body) });
    expect(await code(post("/coinbase-commerce/coinbase", body, sig(SECRETS.COINBASE_COMMERCE_SECRET)))).toBe("200 processed");
    expect(await code(post("/coinbase-commerce/coinbase", body.replace("66B", "77B"), sig(SECRETS.COINBASE_COMMERCE_SECRET)))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/coinbase-commerce/coinbase", body, sig("other")))).toBe("401 INVALID_SIGNATURE");
  });

  it("Alchemy: valid, tampered, wrong key", async () => {
    const body = JSON.stringify({ webhookId: "wh_1", id: "whevt_1", type: "ADDRESS_ACTIVITY", event: { network: "ETH_MAINNET", activity: [] } });
    const sig = (key: string) => ({ ...json, "x-alchemy-signature": hex(key, body) });
    expect(await code(post("/alchemy/alchemy", body, sig(SECRETS.ALCHEMY_SIGNING_KEY)))).toBe("200 processed");
    expect(await code(post("/alchemy/alchemy", body.replace("ETH", "ARB"), sig(SECRETS.ALCHEMY_SIGNING_KEY)))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/alchemy/alchemy", body, sig("other")))).toBe("401 INVALID_SIGNATURE");
  });

  it("Square: signs the notification URL too; valid, tampered, wrong key", async () => {
    const body = JSON.stringify({ merchant_id: "M1", type: "payment.updated", event_id: "e1", data: { object: { payment: { id: "p1" } } } });
    const sig = (key: string, url = SECRETS.SQUARE_NOTIFICATION_URL) => ({ ...json, "x-square-hmacsha256-signature": b64(key, url + body) });
    expect(await code(post("/square/square", body, sig(SECRETS.SQUARE_SIGNATURE_KEY)))).toBe("200 processed");
    expect(await code(post("/square/square", body, sig(SECRETS.SQUARE_SIGNATURE_KEY, "https://example.com/other")))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/square/square", body.replace("p1", "p2"), sig(SECRETS.SQUARE_SIGNATURE_KEY)))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/square/square", body, sig("other")))).toBe("401 INVALID_SIGNATURE");
  });

  it("Linear: valid, tampered, stale (its body timestamp), wrong secret", async () => {
    const body = (ms: number) => JSON.stringify({ action: "create", type: "Issue", data: { id: "i1" }, webhookTimestamp: ms, webhookId: "w1" });
    const headers = (b: string, key: string, id: string) => ({ ...json, "linear-signature": hex(key, b), "linear-delivery": id });
    const fresh = body(Date.now());
    expect(await code(post("/linear/linear", fresh, headers(fresh, SECRETS.LINEAR_WEBHOOK_SECRET, "l1")))).toBe("200 processed");
    expect(await code(post("/linear/linear", fresh.replace("i1", "i2"), headers(fresh, SECRETS.LINEAR_WEBHOOK_SECRET, "l2")))).toBe("401 INVALID_SIGNATURE");
    const stale = body(Date.now() - 3_600_000);
    expect(await code(post("/linear/linear", stale, headers(stale, SECRETS.LINEAR_WEBHOOK_SECRET, "l3")))).toBe("400 INVALID_PAYLOAD");
    expect(await code(post("/linear/linear", fresh, headers(fresh, "other", "l4")))).toBe("401 INVALID_SIGNATURE");
  });

  it("NOWPayments-style: sorted-JSON signing accepts any key order; tampered, wrong secret, non-JSON", async () => {
    const sorted = (o: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]])));
    const payload = { payment_status: "finished", payment_id: 5077125051, pay_amount: 0.165, actually_paid: 0.18, order_id: "ord-1" };
    const sent = JSON.stringify(payload, null, 1); // not sorted, other whitespace: the signature is over the sorted form
    const sig = (key: string) => ({ ...json, "x-nowpayments-sig": hex(key, sorted(payload), "sha512") });
    expect(await code(post("/nowpayments/nowpayments", sent, sig(SECRETS.NOWPAYMENTS_IPN_SECRET)))).toBe("200 processed");
    expect(await code(post("/nowpayments/nowpayments", sent.replace("0.18", "1.18"), sig(SECRETS.NOWPAYMENTS_IPN_SECRET)))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/nowpayments/nowpayments", sent, sig("other")))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/nowpayments/nowpayments", "not json", sig(SECRETS.NOWPAYMENTS_IPN_SECRET)))).toBe("401 INVALID_SIGNATURE");
  });
});

describe("Twilio (Twilio's published vector)", () => {
  const params = { CallSid: "CA1234567890ABCDE", Caller: "+12349013030", Digits: "1234", From: "+12349013030", To: "+18005551212" };
  const body = new URLSearchParams(params).toString();
  const path = "/twilio/twilio?foo=1&bar=2";

  it("the vector verifies through publicUrl and the received query; tampered and wrong token are refused", async () => {
    const vector = { ...form, "x-twilio-signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" };
    expect(await code(post(path, body, vector))).toBe("200 processed");
    await expect.poll(() => output).toContain("twilio +12349013030");
    expect(await code(post(path, body.replace("1234&", "9999&"), vector))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/twilio/twilio?foo=1&bar=3", body, vector))).toBe("401 INVALID_SIGNATURE");
    const other = b64("54321", `https://mycompany.com/myapp.php?foo=1&bar=2${Object.entries(params).sort().map(([k, v]) => k + v).join("")}`, "sha1");
    expect(await code(post(path, body, { ...form, "x-twilio-signature": other }))).toBe("401 INVALID_SIGNATURE");
  });
});

describe("Clerk / Resend (svix's Webhook.sign)", () => {
  const body = JSON.stringify({ type: "user.created", data: { id: "user_29w83sxmDNGwOuEthce5gg56FcC" }, object: "event" });
  const headers = (id: string, at: Date, secret = SECRETS.CLERK_WEBHOOK_SECRET) => ({
    ...json,
    "svix-id": id,
    "svix-timestamp": String(Math.floor(at.getTime() / 1000)),
    "svix-signature": new SvixWebhook(secret).sign(id, at, body),
  });

  it("valid, tampered, stale, wrong secret", async () => {
    expect(await code(post("/svix/clerk", body, headers("msg_1", new Date())))).toBe("200 processed");
    expect(await code(post("/svix/clerk", body.replace("user_29", "user_30"), headers("msg_2", new Date())))).toBe("401 INVALID_SIGNATURE");
    expect(await code(post("/svix/clerk", body, headers("msg_3", new Date(Date.now() - 3_600_000))))).toBe("401 TIMESTAMP_TOO_OLD");
    expect(await code(post("/svix/clerk", body, headers("msg_4", new Date(), "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==")))).toBe("401 INVALID_SIGNATURE");
  });
});
