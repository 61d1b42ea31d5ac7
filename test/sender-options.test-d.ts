/**
 * @module Types of the sender-scheme options users write: hmac()'s signatureFormat, secretEncoding, timestampUnit, bodyFormat,
 * publicUrl and signedContent's url; standardWebhooks()' secretEncoding and publicKey; signDelivery's privateKey.
 */
import { describe, expectTypeOf, it } from "vitest";
import { hmac, type HmacOptions, type PublicUrl, type SignatureFormat, type SignedContentInput, standardWebhooks } from "../src/index.js";
import { signDelivery, type SignDeliveryOptions } from "../src/testing/index.js";

describe("hmac() sender options", () => {
  it("types signedContent's url and timestamp as optional strings", () => {
    expectTypeOf<SignedContentInput["url"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<SignedContentInput["timestamp"]>().toEqualTypeOf<string | undefined>();
    hmac({ secret: "s", header: "X-Sig", signedContent: ({ url, body }) => `${url}${body}` });
  });

  it("takes the documented literal options and refuses others", () => {
    hmac({ secret: "s", header: "Stripe-Signature", signatureFormat: { signature: "v1", timestamp: "t" } });
    hmac({ secret: "s", header: "P", signatureFormat: { pairs: ";", assign: "=", signature: "h1" }, secretEncoding: "hex", timestampUnit: "ms", bodyFormat: "form" });
    // a possibly-undefined environment variable is a valid publicUrl (unset means "as received")
    hmac({ secret: "s", header: "X", publicUrl: process.env.PUBLIC_URL });
    hmac({ secret: "s", header: "X", publicUrl: (received, headers) => `https://${headers.get("x-forwarded-host")}${received ?? ""}` });
    // @ts-expect-error signatureFormat needs the signature key
    hmac({ secret: "s", header: "X", signatureFormat: { timestamp: "t" } });
    // @ts-expect-error seconds or milliseconds only
    hmac({ secret: "s", header: "X", timestampUnit: "us" });
    // @ts-expect-error json or form only
    hmac({ secret: "s", header: "X", bodyFormat: "xml" });
    // @ts-expect-error raw is standardWebhooks' encoding, not hmac's
    hmac({ secret: "s", header: "X", secretEncoding: "raw" });
    expectTypeOf<HmacOptions["signatureFormat"]>().toEqualTypeOf<SignatureFormat | undefined>();
    expectTypeOf<PublicUrl>().toMatchTypeOf<string | ((received: string | undefined, headers: never) => string)>();
  });
});

describe("standardWebhooks() and signDelivery", () => {
  it("takes a secret, a public key, or both; raw or base64 secrets", () => {
    standardWebhooks({ secret: "whsec_x" });
    standardWebhooks({ secret: "raw", secretEncoding: "raw" });
    standardWebhooks({ publicKey: "whpk_x" });
    standardWebhooks({ secret: ["whsec_a", "whsec_b"], publicKey: ["whpk_a"] });
    // @ts-expect-error hex is hmac's encoding, not Standard Webhooks'
    standardWebhooks({ secret: "s", secretEncoding: "hex" });
  });

  it("signs v1a with a private key", () => {
    expectTypeOf<SignDeliveryOptions["privateKey"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf(signDelivery(standardWebhooks({ publicKey: "whpk_x" }), {}, { privateKey: "whsk_x" }).headers).toEqualTypeOf<Record<string, string>>();
  });
});
