/**
 * @module The absolute URL a sender called, as adapters rebuild it from the request target, the Host header and the protocol.
 */

const HOST = /^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * `protocol://host/path?query`: what `hmac()`'s `signedContent` gets as `url` (Twilio and Square
 * sign it). The path as it is when already absolute, or when there is no usable Host header.
 */
export function absoluteUrl(path: string | undefined, host: string | string[] | undefined, protocol: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (/^https?:\/\//i.test(path)) return path;
  const name = (Array.isArray(host) ? host[0] : host)?.trim();
  if (!name || !HOST.test(name)) return path;
  return `${protocol === "https" ? "https" : "http"}://${name}${path.startsWith("/") ? path : `/${path}`}`;
}

/** The first `X-Forwarded-Proto` entry when it is http or https (set by AWS load balancers, API Gateway and Next.js's server). */
export function forwardedProto(value: string | string[] | undefined): "http" | "https" | undefined {
  const first = (Array.isArray(value) ? value[0] : value)?.split(",")[0]?.trim().toLowerCase();
  return first === "http" || first === "https" ? first : undefined;
}
