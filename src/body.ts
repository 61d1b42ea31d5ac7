/**
 * @module Raw body handling: bytes from any input, capped stream reading, strict UTF-8 JSON parsing.
 */
import { PayloadError, PayloadTooLargeError } from "./errors.js";
import { platform } from "./crypto/index.js";

const encoder = new TextEncoder();

/** The exact bytes of a delivery body, without copying where the input already is bytes. */
export function bodyBytes(body: Uint8Array | ArrayBuffer | string): Uint8Array {
  if (typeof body === "string") return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) {
    const view = body as ArrayBufferView;
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  }
  throw new TypeError("delivery.body must be a Uint8Array, ArrayBuffer or string");
}

/**
 * Reads a web stream up to `limit` bytes; past the cap it cancels the stream and throws
 * `PayloadTooLargeError` without buffering the rest.
 */
export async function readStreamCapped(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw new PayloadTooLargeError(limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return concatChunks(chunks, size);
}

/** Concatenates chunks whose total length is known. */
export function concatChunks(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Decodes UTF-8 fatally (never a silent U+FFFD) and strips one leading BOM. */
export function decodeText(bytes: Uint8Array): string {
  const text = platform.decodeUtf8(bytes);
  if (text === undefined) throw new PayloadError("INVALID_JSON", "body is not valid UTF-8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses JSON text. Duplicate keys are last-wins (JSON.parse's rule); `__proto__` keys are
 * dropped so the payload can't reach an object's prototype through a later merge or copy.
 * The error message gives a position, never a slice of the body (it may hold a secret).
 */
export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const match = /position (\d+)/.exec(String((error as Error)?.message));
    const where = match ? ` at position ${match[1]}` : text.trim() === "" ? ": the body is empty" : "";
    throw new PayloadError("INVALID_JSON", `body is not valid JSON${where}`);
  }
  // A \u escape can spell __proto__ too; both checks are a single scan.
  if (text.includes("__proto__") || text.includes("\\u")) dropProtoKeys(value);
  return value;
}

/** Removes own `__proto__` keys at every depth, iteratively (bodies may nest deeply). */
function dropProtoKeys(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    if (Object.hasOwn(node, "__proto__")) delete (node as Record<string, unknown>)["__proto__"];
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === "object" && child !== null) stack.push(child);
    }
  }
}
