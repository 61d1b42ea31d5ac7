/**
 * @module The in-process comparisons: `receiver.verify()` per provider and `receiver.handle()` against the floor and the anchor libraries.
 */
import { Webhooks } from "@octokit/webhooks";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import type { Case } from "./harness.js";
import { floorCases, SECRET, signalBody, type Tradehook, tradehookVerifyCases, WHSEC, wireHeaders } from "./cases.js";

/** Every case of the verify comparison at one size; signatures are fresh as of `seconds`. */
export function verifyCases(th: Tradehook, bytes: number, seconds: number): Case[] {
  const { body, header } = signalBody(bytes, seconds);
  const text = body.toString("utf8");
  const cases: Case[] = floorCases(bytes, seconds);

  cases.push(...tradehookVerifyCases(th, bytes, seconds));

  const stripe = new Stripe("sk_test_bench_fake_key");
  const stripeSecret = "whsec_bench_stripe_secret";
  const stripeHeader = stripe.webhooks.generateTestHeaderString({ payload: text, secret: stripeSecret, timestamp: seconds });
  cases.push({ name: "stripe constructEvent", fn: () => stripe.webhooks.constructEvent(body, stripeHeader, stripeSecret) });

  const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const swSignature = new StandardWebhook(WHSEC).sign(id, new Date(seconds * 1000), text);
  const swHeaders = wireHeaders(bytes, { "webhook-id": id, "webhook-timestamp": String(seconds), "webhook-signature": swSignature });
  const sw = new StandardWebhook(WHSEC);
  cases.push({ name: "standardwebhooks verify", fn: () => sw.verify(body, swHeaders) });

  const svix = new SvixWebhook(WHSEC);
  const svixHeaders = wireHeaders(bytes, { "svix-id": id, "svix-timestamp": String(seconds), "svix-signature": swSignature });
  cases.push({ name: "svix verify", fn: () => svix.verify(body, svixHeaders) });

  const octokit = new Webhooks({ secret: SECRET });
  cases.push({
    name: "@octokit/webhooks verify + JSON.parse",
    fn: async () => {
      const payload = body.toString("utf8");
      if (!(await octokit.verify(payload, header))) throw new Error("octokit: bad signature");
      return JSON.parse(payload);
    },
  });
  return cases;
}

