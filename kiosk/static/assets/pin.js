// The staff PIN, checked on the tablet (it works offline) with WebCrypto PBKDF2 against the
// config's {"algorithm": "PBKDF2-SHA256", "iterations", "salt" (base64), "hash" (base64)}.
function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

export async function verifyPin(pin, spec) {
  if (!spec || spec.algorithm !== "PBKDF2-SHA256" || !spec.salt || !spec.hash) return false;
  const expected = fromBase64(spec.hash);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: fromBase64(spec.salt), iterations: spec.iterations },
    key,
    expected.length * 8,
  );
  const actual = new Uint8Array(bits);
  let difference = actual.length ^ expected.length;
  for (let i = 0; i < expected.length; i += 1) difference |= actual[i] ^ expected[i];
  return difference === 0;
}
