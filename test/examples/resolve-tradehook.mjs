// Resolves "tradehook" and "tradehook/*" as the repo root would (self-reference through package.json "exports", so dist/).
const ROOT = new URL("../../package.json", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === "tradehook" || specifier.startsWith("tradehook/")) return nextResolve(specifier, { ...context, parentURL: ROOT });
  return nextResolve(specifier, context);
}
